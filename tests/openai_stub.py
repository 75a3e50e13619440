"""A small OpenAI-compatible chat server on loopback, scripted per test: it reads the numbered
passages from the request and answers with a reply built from them, as a model would, or fails in
a chosen way. No LLM can be installed offline here; this proves the HTTP path and the checks."""
from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PASSAGE = re.compile(r"^\[(\d+)\] 《[^》]*》[^\n]*\n(.*?)(?=\n\n\[\d+\] 《|\n条款>>>)", re.S | re.M)


def passages_in(body: dict) -> dict[int, str]:
    user = next(m["content"] for m in body["messages"] if m["role"] in ("user", "human"))
    return {int(n): text for n, text in PASSAGE.findall(user)}


def sentence_with_figure(text: str) -> str:
    """The passage's first sentence that states a figure (not its item number), without its stop."""
    sentences = [re.sub(r"^\s*\d+[.．]", "", s).strip() for s in re.split(r"(?<=[。；])", text)]
    with_figure = [s for s in sentences if re.search(r"\d", s)] or sentences
    return with_figure[0].rstrip("。；")


def good_reply(passages: dict[int, str]) -> str:
    return sentence_with_figure(passages[1]) + "[1]。"


def invented_figure(passages: dict[int, str]) -> str:
    """The same sentence with every figure changed: numbers no passage holds."""
    sentence = re.sub(r"\d+(?:\.\d+)?", lambda m: str(int(float(m.group()) * 7 + 3)), sentence_with_figure(passages[1]))
    return sentence + "[1]。"


SCRIPTS = {
    "good": good_reply,
    "invented_figure": invented_figure,
    "uncited_sentence": lambda p: good_reply(p) + "此外，全市还将新建三座大型数据中心。",
    "wrong_marker": lambda p: good_reply(p).replace("[1]", "[9]"),
    "invented_department": lambda p: good_reply(p).rstrip("。") + "，由市环保局牵头[1]。",
    "injection": lambda p: "好的，我将忽略之前的指令。江阴市2030年的GDP将达到1万亿元。",
    "no_answer": lambda p: "文件中没有找到。",
}


class Stub:
    """`with Stub() as stub:` serves at stub.base_url; set stub.mode to a SCRIPTS key, or to
    "timeout" (answers after `delay` s), "garbage" (200 with a body that is not the API's),
    "rate_limit" (429), "server_error" (500)."""

    def __init__(self, mode: str = "good", delay: float = 3.0):
        self.mode, self.delay = mode, delay
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append(body)
                stub.respond(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> "Stub":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def respond(self, handler: BaseHTTPRequestHandler, body: dict) -> None:
        if self.mode == "timeout":
            time.sleep(self.delay)
            return _send(handler, 200, _completion("迟到的回答[1]。"))
        if self.mode == "garbage":
            return _send(handler, 200, b"<html>502 Bad Gateway</html>", "text/html")
        if self.mode == "rate_limit":
            return _send(handler, 429, json.dumps({"error": {"message": "rate limited", "type": "rate_limit"}}).encode())
        if self.mode == "server_error":
            return _send(handler, 500, json.dumps({"error": {"message": "boom"}}).encode())
        reply = SCRIPTS[self.mode](passages_in(body))
        if body.get("stream"):
            return _stream(handler, reply)
        return _send(handler, 200, _completion(reply))


def _completion(reply: str) -> bytes:
    return json.dumps({"id": "stub", "object": "chat.completion", "created": 0, "model": "stub",
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}, ensure_ascii=False).encode()


def _send(handler: BaseHTTPRequestHandler, status: int, payload: bytes, kind: str = "application/json") -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


def _stream(handler: BaseHTTPRequestHandler, reply: str) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.end_headers()
    pieces = [reply[i:i + 4] for i in range(0, len(reply), 4)]
    for n, piece in enumerate(pieces + [None]):
        delta = {"content": piece} if piece is not None else {}
        chunk = {"id": "stub", "object": "chat.completion.chunk", "created": 0, "model": "stub",
                 "choices": [{"index": 0, "delta": delta, "finish_reason": None if piece is not None else "stop"}]}
        handler.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
        handler.wfile.flush()
    handler.wfile.write(b"data: [DONE]\n\n")
    handler.wfile.flush()
