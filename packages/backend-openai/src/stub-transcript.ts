/**
 * A recorded Chat Completions stream (a short plain answer with usage), replayed through the real
 * parser in stub mode. Kept as the raw SSE text so stub mode exercises exactly what a live call does.
 */
export const STUB_TRANSCRIPT = `data: {"id":"chatcmpl-stub01","object":"chat.completion.chunk","created":1763700000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}

data: {"id":"chatcmpl-stub01","object":"chat.completion.chunk","created":1763700000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"This is a recorded answer"},"finish_reason":null}]}

data: {"id":"chatcmpl-stub01","object":"chat.completion.chunk","created":1763700000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":" from the OpenAI stub"},"finish_reason":null}]}

data: {"id":"chatcmpl-stub01","object":"chat.completion.chunk","created":1763700000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":" (no API call was made)."},"finish_reason":null}]}

data: {"id":"chatcmpl-stub01","object":"chat.completion.chunk","created":1763700000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}

data: {"id":"chatcmpl-stub01","object":"chat.completion.chunk","created":1763700000,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":20,"completion_tokens":16,"total_tokens":36,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}

data: [DONE]

`
