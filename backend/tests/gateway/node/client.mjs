// Test-only client: the official Node `openai` package against Tandem's gateway.
// Usage: node client.mjs <scenario>; GATEWAY_BASE_URL and GATEWAY_KEY from the environment.
// Prints one JSON line: what the SDK handed back (or the error it raised).
import OpenAI from "openai";

const client = new OpenAI({ baseURL: process.env.GATEWAY_BASE_URL, apiKey: process.env.GATEWAY_KEY, maxRetries: 0 });
const messages = [{ role: "user", content: "hello there" }];
const weather = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather of a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

async function run(scenario) {
  if (scenario === "create") {
    const { data, response } = await client.chat.completions.create({ model: "default", messages }).withResponse();
    return {
      text: data.choices[0].message.content,
      model: data.model,
      finish: data.choices[0].finish_reason,
      provider: response.headers.get("x-tandem-provider"),
      failover: response.headers.get("x-tandem-failover"),
    };
  }
  if (scenario === "stream") {
    const stream = await client.chat.completions.create({
      model: "default", messages, stream: true, stream_options: { include_usage: true },
    });
    let text = "";
    let finish = null;
    let usage = null;
    for await (const chunk of stream) {
      if (chunk.choices.length) {
        text += chunk.choices[0].delta.content ?? "";
        finish = chunk.choices[0].finish_reason ?? finish;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    return { text, finish, totalTokens: usage?.total_tokens ?? null };
  }
  if (scenario === "tools") {
    const runner = client.chat.completions.stream({
      model: "claude-first", messages: [{ role: "user", content: "call get_weather for Paris" }], tools: [weather],
    });
    const final = await runner.finalChatCompletion();
    const call = final.choices[0].message.tool_calls[0];
    return { name: call.function.name, args: JSON.parse(call.function.arguments), finish: final.choices[0].finish_reason };
  }
  throw new Error(`unknown scenario ${scenario}`);
}

try {
  console.log(JSON.stringify({ ok: true, ...(await run(process.argv[2])) }));
} catch (error) {
  console.log(JSON.stringify({
    ok: false, name: error.constructor.name, status: error.status ?? null, code: error.code ?? null,
    message: String(error.message),
  }));
}
