package slack

// EventTypes covers the types the source names: the Events API's event
// types (event.type; a few families as patterns), its outer types, the
// interactivity payload types, and slash_command.
func EventTypes() []string {
	return []string{
		// Events API (api.slack.com/events).
		"app_*", "assistant_thread_*", "bot_*", "call_rejected", "channel_*", "commands_changed",
		"dnd_updated", "dnd_updated_user", "email_domain_changed", "emoji_changed",
		"external_org_migration_*", "file_*", "function_executed", "goodbye", "grid_migration_*",
		"group_*", "hello", "im_*", "invite_requested", "link_shared", "member_joined_channel",
		"member_left_channel", "message", "message_metadata_*", "pin_*", "reaction_*",
		"resources_*", "scope_*", "shared_channel_invite_*", "star_*", "subteam_*",
		"team_access_*", "team_domain_change", "team_join", "team_rename", "tokens_revoked",
		"user_*", "workflow_*",
		// Interactivity and shortcuts (the payload's type), slash commands.
		"block_actions", "block_suggestion", "dialog_cancellation", "dialog_submission",
		"dialog_suggestion", "interactive_message", "message_action", "shortcut", "view_closed",
		"view_submission", "slash_command",
	}
}
