"""A round-robin TCP balancer on 127.0.0.1, standing in for the proxy in front of several
bot processes in webhook mode: each connection goes to the next backend, whole.

    with Balancer([port_a, port_b]) as balancer:
        url = f"http://127.0.0.1:{balancer.port}/telegram/webhook"
        ...
        balancer.connections  # {port_a: 10, port_b: 10}
"""

from __future__ import annotations

import itertools
import socket
import threading
from collections import Counter


class Balancer:
    def __init__(self, backends: list[int]) -> None:
        self._next = itertools.cycle(backends)
        self._lock = threading.Lock()
        self.connections: Counter[int] = Counter()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]

    def __enter__(self) -> Balancer:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                backend = next(self._next)
                self.connections[backend] += 1
            threading.Thread(target=self._serve, args=(client, backend), daemon=True).start()

    def _serve(self, client: socket.socket, backend: int) -> None:
        with client, socket.create_connection(("127.0.0.1", backend), timeout=30) as upstream:
            answer = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
            answer.start()
            _pipe(client, upstream)
            answer.join(timeout=30)  # the whole answer reaches the client before both close


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
        target.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the other side closed first
