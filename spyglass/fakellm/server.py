"""Run the fake provider: in-process (tests, demo) or as a CLI process.

:class:`FakeLLMServer` serves the app with a real uvicorn server on 127.0.0.1 in a
daemon thread, so the real ``openai``/``anthropic``/``google-genai`` SDKs talk to it over HTTP::

    with FakeLLMServer(scenario) as fake:
        client = openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-test")
        fake.state.update_defaults(Behaviour(snapshots={"gpt-4o-mini": "gpt-4o-mini-2026-01-15"}))
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from spyglass.fakellm.app import create_app
from spyglass.fakellm.scenario import Scenario
from spyglass.fakellm.state import ProviderState


class FakeLLMServer:
    """A fake provider on a free (or given) port. ``start()`` returns once it accepts
    connections; ``stop()`` returns once the thread has ended (in-flight requests get
    ``grace_s`` seconds, then are cancelled). Not restartable after ``stop()``."""

    def __init__(
        self, scenario: Scenario | None = None, host: str = "127.0.0.1", port: int = 0, grace_s: float = 1.0
    ) -> None:
        self.state = ProviderState(scenario or Scenario())
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        config = uvicorn.Config(
            create_app(self.state),
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=int(max(1, grace_s)),
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"fake-llm:{self.port}", daemon=True)

    @property
    def url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:41234``."""
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """What ``openai.OpenAI(base_url=...)`` expects (with ``/v1``)."""
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """What ``anthropic.Anthropic(base_url=...)`` expects (without ``/v1``)."""
        return self.url

    @property
    def gemini_base_url(self) -> str:
        """What ``genai.Client(http_options=HttpOptions(base_url=...))`` expects (the root;
        the SDK appends ``/{api_version}/models/...``)."""
        return self.url

    def _run(self) -> None:
        self._server.run(sockets=[self._socket])

    def start(self, timeout_s: float = 10.0) -> FakeLLMServer:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"fake LLM server did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self.state.stopping.set()
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        self._socket.close()

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
