// Bundled by esbuild (with the openai package) into one file the e2e suite runs with the runtime
// image's node in a client Pod: one chat completion to BASE_URL, printed as one JSON line with the
// runtime's traceresponse header.
import OpenAI from 'openai';

const baseURL = process.env.BASE_URL ?? '';
const model = process.env.MODEL ?? '';
const client = new OpenAI({ baseURL, apiKey: 'unused', maxRetries: 5, timeout: 60_000 });
const { data, response } = await client.chat.completions
  // GREEDY (test/tools/tiny-model/tiny-llama.ts): the tiny model answers something, every time.
  .create({
    model,
    messages: [{ role: 'user', content: 'Hello from a Pod' }],
    max_tokens: 16,
    temperature: 0,
  })
  .withResponse();
console.log(
  JSON.stringify({
    answer: data.choices[0]?.message.content ?? '',
    traceresponse: response.headers.get('traceresponse'),
  }),
);
