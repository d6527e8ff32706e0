"""A minimal WebSocket server playing Slack's side of Socket Mode on a free loopback port: says hello, sends
the envelopes it is given, answers pings, and records the acknowledgements the app sends back. Standard library
only."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
import time


class SocketModeStandIn:
    """A minimal WebSocket server playing Slack's side of Socket Mode on a free port: says hello, sends the
    envelopes it is given, answers pings, and records the acknowledgements the app sends back."""

    GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, envelopes: list[dict]) -> None:
        self.envelopes = envelopes
        self.acks: list[dict] = []
        self._acked = threading.Condition()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"ws://127.0.0.1:{self._listener.getsockname()[1]}/link/?ticket=stand-in"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._listener.close()

    def wait_for_acks(self, count: int, timeout: float = 15.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self._acked:
            while len(self.acks) < count and time.monotonic() < deadline:
                self._acked.wait(timeout=0.05)
            return list(self.acks)

    def _serve(self) -> None:
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(4096)
            key = next(
                line.split(":", 1)[1].strip()
                for line in request.decode().split("\r\n")
                if line.lower().startswith("sec-websocket-key:")
            )
            accept = base64.b64encode(hashlib.sha1((key + self.GUID).encode()).digest()).decode()  # noqa: S324
            conn.sendall(
                (
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
                ).encode()
            )
            self._send(conn, 0x1, json.dumps({"type": "hello", "num_connections": 1}).encode())
            for envelope in self.envelopes:
                self._send(conn, 0x1, json.dumps(envelope).encode())
            buffer = b""
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                buffer += chunk
                while (frame := self._frame(buffer)) is not None:
                    opcode, payload, used = frame
                    buffer = buffer[used:]
                    if opcode == 0x9:  # ping
                        self._send(conn, 0xA, payload)
                    elif opcode == 0x8:  # close
                        return
                    elif opcode == 0x1:
                        with self._acked:
                            self.acks.append(json.loads(payload))
                            self._acked.notify_all()

    @staticmethod
    def _send(conn, opcode: int, payload: bytes) -> None:
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([n])
        elif n < 65536:
            head += bytes([126]) + n.to_bytes(2, "big")
        else:
            head += bytes([127]) + n.to_bytes(8, "big")
        conn.sendall(head + payload)

    @staticmethod
    def _frame(data: bytes) -> tuple[int, bytes, int] | None:
        if len(data) < 2:
            return None
        opcode = data[0] & 0x0F
        masked = data[1] & 0x80
        n = data[1] & 0x7F
        pos = 2
        if n == 126:
            if len(data) < 4:
                return None
            n, pos = int.from_bytes(data[2:4], "big"), 4
        elif n == 127:
            if len(data) < 10:
                return None
            n, pos = int.from_bytes(data[2:10], "big"), 10
        mask = b""
        if masked:
            mask, pos = data[pos : pos + 4], pos + 4
        if len(data) < pos + n:
            return None
        payload = data[pos : pos + n]
        if masked:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return opcode, payload, pos + n
