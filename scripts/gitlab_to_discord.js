// gitlab_to_discord.js: a Discord webhook message (content + one embed)
// for any GitLab event. Used by configs/gitlab-to-discord.hcl. Discord
// limits content to 2000 characters and embed descriptions to 4096, so
// long texts are cut here rather than refused there.
function cut(s, n) {
  s = String(s || "");
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}

function transform(event) {
  const b = event.body;
  const project = b.project ? b.project.path_with_namespace : (b.group ? b.group.group_path || b.group.group_name : "GitLab");
  const who = b.user ? (b.user.username || b.user.name) : (b.user_username || b.user_name || "someone");
  const attrs = b.object_attributes || {};
  const url = attrs.url || (b.project && b.project.web_url) || undefined;
  const title = attrs.title || attrs.name || (b.ref ? String(b.ref).replace(/^refs\/(heads|tags)\//, "") : event.type);
  return {
    content: cut(`${who}: ${event.type.replace(/[._]/g, " ")} in ${project}`, 2000),
    embeds: [{
      title: cut(title, 256),
      url: url,
      description: cut(attrs.description || attrs.note || (b.commits && b.commits.length ? b.commits[0].message : ""), 4096),
    }],
  };
}
