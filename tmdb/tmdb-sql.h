/* tmdb-sql.h — every TMDB statement as a name the compiler and linker
 * check (curl's extern Curl_scheme_*): px_sql_<name>, defined with its SQL
 * and result columns in tmdb-statements.c, tmdb-statements-report.c and
 * tmdb-statements-handoff.c and tmdb-statements-security.c.
 * Add a statement to the list below and define it with PX_SQL there. */
#pragma once

#define PX_TMDB_STATEMENT_NAMES(X) \
  X (node_add) \
  X (node_id) \
  X (node_upload_tfc) \
  X (node_tfcs) \
  X (link_add) \
  X (agent_register) \
  X (agent_heartbeat) \
  X (agent_stopped) \
  X (agent_release_mine) \
  X (node_lock_shared) \
  X (node_lock) \
  X (router_expand) \
  X (router_graph) \
  X (router_route) \
  X (router_dups) \
  X (router_recheck) \
  X (router_retry) \
  X (router_next_try) \
  X (router_subscriptions) \
  X (router_history) \
  X (download_release_stale) \
  X (download_claim) \
  X (download_next_try) \
  X (download_start) \
  X (download_report) \
  X (release_stale_claims) \
  X (verify_claim) \
  X (verify_report) \
  X (verify_at_rest_claim) \
  X (verify_at_rest_report) \
  X (publish_claim) \
  X (publish_report) \
  X (report_history) \
  X (delete_leftovers) \
  X (delete_leftovers_done) \
  X (delete_drop_wanted) \
  X (delete_claim) \
  X (delete_done) \
  X (catalog_node) \
  X (catalog_lfns) \
  X (inject_conflicts) \
  X (inject_duplicates) \
  X (inject_block_conflicts) \
  X (inject_apply) \
  X (inject_replicas) \
  X (inject_block_counts) \
  X (subscribe_dataset) \
  X (subscribe_block) \
  X (sub_find) \
  X (sub_unsubscribe) \
  X (sub_suspend) \
  X (sub_resume) \
  X (delete_check) \
  X (delete_request) \
  X (dryrun) \
  X (why) \
  X (dataset_id) \
  X (block_id) \
  X (replicas_dataset) \
  X (status_counts) \
  X (demo_progress) \
  X (report_nodes) \
  X (report_links) \
  X (report_queue) \
  X (report_errors) \
  X (report_status_subscriptions) \
  X (report_status_tasks) \
  X (report_status_agents) \
  X (webmon_now) \
  X (webmon_can_write) \
  X (webmon_grant_reader) \
  X (webmon_overview) \
  X (webmon_history) \
  X (webmon_errors) \
  X (webmon_error) \
  X (webmon_agents) \
  X (webmon_subscription) \
  X (webmon_subscription_why) \
  X (webmon_subscriptions) \
  X (webmon_nodes) \
  X (webmon_node) \
  X (webmon_node_blocks) \
  X (webmon_node_unmerged) \
  X (webmon_datasets) \
  X (webmon_blocks) \
  X (webmon_files) \
  X (webmon_metrics) \
  X (handoff_seen) \
  X (handoff_known) \
  X (handoff_block) \
  X (handoff_block_set) \
  X (handoff_blocks_close) \
  X (handoff_limits_set) \
  X (handoff_dataset_closed) \
  X (block_close) \
  X (dataset_close) \
  X (policy_add) \
  X (policy_list) \
  X (policy_rm) \
  X (policy_apply) \
  X (handoff_produced_add) \
  X (unmerged_orphans) \
  X (unmerged_scan_record) \
  X (unmerged_scan_last) \
  X (handoff_report_add) \
  X (handoff_report_outcome) \
  X (handoff_unmerged_add) \
  X (handoff_merges_add) \
  X (handoff_hold_add) \
  X (unmerged_decide) \
  X (unmerged_deleted) \
  X (unmerged_delete_failed) \
  X (unmerged_summary) \
  X (unmerged_times) \
  X (unmerged_list) \
  X (unmerged_hold) \
  X (unmerged_release) \
  X (security_whoami) \
  X (security_grant_site) \
  X (security_grant_manager) \
  X (security_roles) \
  X (audit_add) \
  X (audit_list)

#define PX_SQL_DECLARE(id) extern const PxTmdbStatement px_sql_##id;
PX_TMDB_STATEMENT_NAMES (PX_SQL_DECLARE)
#undef PX_SQL_DECLARE
/* The list of them all, NULL-terminated. */
extern const PxTmdbStatement *const px_tmdb_statements[];
