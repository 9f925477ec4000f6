"""What Python users run against kubellama-runtime: the official OpenAI client and LangChain.

`python clients.py CASE` with OPENAI_BASE_URL (…/v1) and MODEL set; prints one JSON object, which the
test (test/runtime/python-clients.test.ts) checks. Each case uses the libraries as their docs show.
"""

import json
import os
import sys

BASE_URL = os.environ["OPENAI_BASE_URL"]
MODEL = os.environ["MODEL"]
PROMPT = os.environ.get("PROMPT", "Say hello.")


def openai_client():
    from openai import OpenAI

    return OpenAI(base_url=BASE_URL, api_key="unused", max_retries=0)


def openai_chat():
    completion = openai_client().chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": PROMPT}],
        max_tokens=8,
        temperature=0,
    )
    choice = completion.choices[0]
    return {
        "content": choice.message.content,
        "finish_reason": choice.finish_reason,
        "usage": completion.usage.model_dump(),
        "id": completion.id,
    }


def openai_chat_stream():
    stream = openai_client().chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": PROMPT}],
        max_tokens=8,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    content, chunks, finish_reason, usage = "", 0, None, None
    for chunk in stream:
        chunks += 1
        if chunk.usage is not None:
            usage = chunk.usage.model_dump()
        for choice in chunk.choices:
            content += choice.delta.content or ""
            finish_reason = choice.finish_reason or finish_reason
    return {"content": content, "chunks": chunks, "finish_reason": finish_reason, "usage": usage}


def openai_completion():
    completion = openai_client().completions.create(
        model=MODEL, prompt=PROMPT, max_tokens=8, temperature=0
    )
    return {"text": completion.choices[0].text, "finish_reason": completion.choices[0].finish_reason}


def openai_models():
    return {"ids": [m.id for m in openai_client().models.list()]}


def openai_bad_request():
    import openai

    try:
        openai_client().chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": PROMPT}], temperature=5
        )
    except openai.BadRequestError as error:
        body = error.body if isinstance(error.body, dict) else {}
        return {"status": error.status_code, "param": body.get("param"), "message": body.get("message")}
    return {"status": 200}


def langchain_chat(max_tokens=8, **kwargs):
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=BASE_URL, api_key="unused", model=MODEL, max_tokens=max_tokens, max_retries=0, **{"temperature": 0, **kwargs}
    )


def langchain_invoke():
    message = langchain_chat().invoke(PROMPT)
    return {
        "content": message.content,
        "finish_reason": message.response_metadata.get("finish_reason"),
        "usage": dict(message.usage_metadata or {}),
    }


def langchain_stream():
    content, chunks = "", 0
    for chunk in langchain_chat().stream(PROMPT):
        chunks += 1
        content += chunk.content
    return {"content": content, "chunks": chunks}


def city_model():
    from typing import Literal

    from pydantic import BaseModel, Field

    # Bounded strings: the tiny test model knows nothing, only the grammar shapes its answer.
    class City(BaseModel):
        name: str = Field(max_length=12)
        population: int
        size: Literal["small", "big"]

    return City


def openai_parse():
    City = city_model()
    completion = openai_client().chat.completions.parse(
        model=MODEL,
        messages=[{"role": "user", "content": "Describe a city."}],
        response_format=City,
        max_tokens=200,
        temperature=1,
        seed=1,
    )
    choice = completion.choices[0]
    return {"finish_reason": choice.finish_reason, "parsed": choice.message.parsed.model_dump()}


def openai_tools():
    completion = openai_client().chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        max_tokens=200,
        seed=1,
    )
    choice = completion.choices[0]
    calls = choice.message.tool_calls or []
    return {
        "finish_reason": choice.finish_reason,
        "calls": [{"id": c.id, "name": c.function.name, "arguments": json.loads(c.function.arguments)} for c in calls],
    }


def openai_embeddings():
    # The Python client asks for base64 unless told otherwise, and decodes it.
    response = openai_client().embeddings.create(model=MODEL, input=["hello", "world", "hello"])
    vectors = [d.embedding for d in response.data]
    return {"count": len(vectors), "dims": len(vectors[0]), "same": vectors[0] == vectors[2], "usage": response.usage.prompt_tokens}


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather forecast for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "maxLength": 16},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
    },
}


def langchain_structured():
    City = city_model()
    chat = langchain_chat(max_tokens=200, temperature=1, seed=1)
    city = chat.with_structured_output(City, method="json_schema").invoke("Describe a city.")
    return {"parsed": city.model_dump()}


def langchain_tools():
    message = (
        langchain_chat(max_tokens=200, seed=1)
        .bind_tools([WEATHER_TOOL], tool_choice="get_weather")
        .invoke("Weather in Paris?")
    )
    return {"calls": [{"name": c["name"], "args": c["args"], "id": c["id"]} for c in message.tool_calls]}


def langchain_embeddings():
    from langchain_openai import OpenAIEmbeddings

    # check_embedding_ctx_length=False: LangChain would otherwise fetch a tiktoken vocabulary from the
    # internet to count tokens; the server counts them.
    embeddings = OpenAIEmbeddings(
        model=MODEL, base_url=BASE_URL, api_key="unused", check_embedding_ctx_length=False, max_retries=0
    )
    vectors = embeddings.embed_documents(["hello", "world"])
    query = embeddings.embed_query("hello")
    return {"count": len(vectors), "dims": len(vectors[0]), "same": vectors[0] == query}


CASES = {
    "openai-chat": openai_chat,
    "openai-chat-stream": openai_chat_stream,
    "openai-completion": openai_completion,
    "openai-models": openai_models,
    "openai-bad-request": openai_bad_request,
    "langchain-invoke": langchain_invoke,
    "langchain-stream": langchain_stream,
    "openai-parse": openai_parse,
    "openai-tools": openai_tools,
    "openai-embeddings": openai_embeddings,
    "langchain-structured": langchain_structured,
    "langchain-tools": langchain_tools,
    "langchain-embeddings": langchain_embeddings,
}

if __name__ == "__main__":
    print(json.dumps(CASES[sys.argv[1]]()))
