package gitlab

// kinds are GitLab's object_kind and event_name values (project, group
// and system hooks), and the X-Gitlab-Event names in snake case that the
// source falls back to. The source's event type is the kind, or the kind,
// "." and the action.
var kinds = []string{
	"access_token", "build", "confidential_issue", "confidential_note", "deployment", "emoji",
	"feature_flag", "issue", "job", "member", "merge_request", "milestone", "note", "pipeline",
	"project_access_token", "push", "release", "repository_update", "resource_access_token",
	"subgroup", "system", "tag_push", "vulnerability", "wiki_page", "work_item",
	// System hooks and group member events (event_name).
	"group_create", "group_destroy", "group_rename", "key_create", "key_destroy", "project_create",
	"project_destroy", "project_rename", "project_transfer", "project_update", "subgroup_create",
	"subgroup_destroy", "user_access_request_revoked_for_group", "user_access_request_to_group",
	"user_add_to_group", "user_add_to_team", "user_create", "user_destroy", "user_failed_login",
	"user_remove_from_group", "user_remove_from_team", "user_rename", "user_update_for_group",
	"user_update_for_team",
}

// EventTypes covers every type the source names: each kind, alone or with
// an action.
func EventTypes() []string {
	out := make([]string, 0, 2*len(kinds))
	for _, k := range kinds {
		out = append(out, k, k+".*")
	}
	return out
}
