"""What the browser tests of chats share: the websocket frames a page received, and sending."""

from __future__ import annotations

from playwright.sync_api import Page, WebSocket


class SocketLog:
    """The websockets a page opens and the frames it receives on them."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        self.frames: list[str] = []
        page.on("websocket", self.opened)

    def opened(self, socket: WebSocket) -> None:
        self.urls.append(socket.url)
        socket.on("framereceived", self.received)

    def received(self, payload: str | bytes) -> None:
        self.frames.append(payload if isinstance(payload, str) else payload.decode())

    def pushed(self, text: str) -> bool:
        """Whether a message containing ``text`` arrived through the socket."""
        return any('"messages"' in frame and text in frame for frame in self.frames)


def send(page: Page, text: str) -> None:
    page.get_by_label("Your message").fill(text)
    page.get_by_role("button", name="Send").click()
