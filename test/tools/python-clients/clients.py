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


def langchain_chat():
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(base_url=BASE_URL, api_key="unused", model=MODEL, temperature=0, max_tokens=8, max_retries=0)


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


CASES = {
    "openai-chat": openai_chat,
    "openai-chat-stream": openai_chat_stream,
    "openai-completion": openai_completion,
    "openai-models": openai_models,
    "openai-bad-request": openai_bad_request,
    "langchain-invoke": langchain_invoke,
    "langchain-stream": langchain_stream,
}

if __name__ == "__main__":
    print(json.dumps(CASES[sys.argv[1]]()))
