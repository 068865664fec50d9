/**
 * A recorded `gemini -p … --output-format stream-json` run (gemini 0.61.0: a `list_directory`
 * call, then an answer), replayed through the real parser in stub mode. Only the answer's words
 * were changed, so a reader can tell it is a recording.
 */
export const STUB_TRANSCRIPT = `{"type":"init","timestamp":"2026-11-21T07:23:32.816Z","session_id":"56d86281-b6b0-4411-9521-1ff77fb74162","model":"gemini-2.5-flash"}
{"type":"message","timestamp":"2026-11-21T07:23:32.819Z","role":"user","content":"List the files here, then say hello."}
{"type":"message","timestamp":"2026-11-21T07:23:32.873Z","role":"assistant","content":"Loo","delta":true}
{"type":"message","timestamp":"2026-11-21T07:23:32.875Z","role":"assistant","content":"kin","delta":true}
{"type":"message","timestamp":"2026-11-21T07:23:32.876Z","role":"assistant","content":"g.","delta":true}
{"type":"tool_use","timestamp":"2026-11-21T07:23:33.005Z","tool_name":"list_directory","tool_id":"list_directory__list_directory_1795245812877_0","parameters":{"dir_path":"."}}
{"type":"tool_result","timestamp":"2026-11-21T07:23:33.197Z","tool_id":"list_directory__list_directory_1795245812877_0","status":"success"}
{"type":"message","timestamp":"2026-11-21T07:23:33.210Z","role":"assistant","content":"This is a recorded answer","delta":true}
{"type":"message","timestamp":"2026-11-21T07:23:33.210Z","role":"assistant","content":" from the Gemini CLI stub","delta":true}
{"type":"message","timestamp":"2026-11-21T07:23:33.211Z","role":"assistant","content":" (no CLI was run).","delta":true}
{"type":"result","timestamp":"2026-11-21T07:23:33.212Z","status":"success","stats":{"total_tokens":37,"input_tokens":25,"output_tokens":12,"cached":3,"input":22,"duration_ms":397,"tool_calls":1,"models":{"gemini-2.5-flash":{"total_tokens":37,"input_tokens":25,"output_tokens":12,"cached":3,"input":22}}}}
`
