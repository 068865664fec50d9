/**
 * A recorded `codex exec --json` run of codex-cli 0.169.0 (one shell command, then an answer),
 * replayed through the real JSONL parser in stub mode. Kept as the raw lines the CLI printed.
 */
export const STUB_TRANSCRIPT = `{"type":"thread.started","thread_id":"01a1fcfc-e103-79a2-b70c-0e73598c0b02"}
{"type":"turn.started"}
{"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"/bin/bash -lc 'echo hi'","aggregated_output":"","exit_code":null,"status":"in_progress"}}
{"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"/bin/bash -lc 'echo hi'","aggregated_output":"hi\\n","exit_code":0,"status":"completed"}}
{"type":"item.completed","item":{"id":"item_2","type":"agent_message","text":"This is a recorded answer from the Codex stub (no CLI was run): the command printed hi."}}
{"type":"turn.completed","usage":{"input_tokens":24,"cached_input_tokens":0,"cache_write_input_tokens":0,"output_tokens":16,"reasoning_output_tokens":0}}
`
