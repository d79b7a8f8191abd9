"""A Streamlit browser tab without the browser: the websocket protocol the frontend speaks.

One `Tab` is one session on the server (/_stcore/stream, protobuf BackMsg out, ForwardMsg in), used as
the frontend uses it: every script run is a `rerun_script` BackMsg carrying the query string, the page,
the widget values the user set, the fragment a widget lives in, and the hashes of the messages the tab
already holds (the server then sends a reference instead of the element again); the tab reads until the
run's `script_finished`. Each run's reply is kept as a `Reply`: time, bytes, every element, and what went
wrong (an exception element, the app's error boundary, a script error, a closed socket, a timeout).
No Locust here: load/locustfile.py times these calls, and tests can use a Tab directly.
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import websocket
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED = {0: "ok", 1: "compile error", 2: "early for rerun", 3: "fragment ok"}
APP_ERROR_TEXT = "Something went wrong"  # the app's error boundary (rnnviz_app.session.FRIENDLY_ERROR)
WIDGET_TYPES = ("slider", "radio", "selectbox", "text_area", "text_input", "number_input", "checkbox",
                "button", "file_uploader", "toggle")


class ProtocolError(RuntimeError):
    """The server closed the socket, did not finish in time, or the app failed."""


@dataclass
class Widget:
    """A widget as the last run drew it: its id, element type, the proto (min/max/options) and fragment."""

    id: str
    kind: str
    proto: object
    fragment_id: str

    @property
    def key(self) -> str:
        """The user key: Streamlit's id of a keyed widget is '$$ID-<hash>-<key>'."""
        return self.id.rsplit("-", 1)[-1] if self.id.startswith("$$ID-") else self.id


@dataclass
class Reply:
    """One script run as the tab received it."""

    seconds: float
    nbytes: int
    messages: int
    status: str
    elements: list[tuple[str, object, bytes]] = field(default_factory=list)  # (type, proto, raw bytes)
    problems: list[str] = field(default_factory=list)

    def plotly_specs(self) -> list[str]:
        return [el.spec for kind, el, _ in self.elements if kind == "plotly_chart"]

    def raw(self) -> bytes:
        return b"\n".join(raw for _, _, raw in self.elements)


class Tab:
    """One browser tab's session. Not thread-safe: one Tab per simulated student."""

    def __init__(self, base_url: str, timeout_s: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.ws: websocket.WebSocket | None = None
        self.pages: dict[str, str] = {}  # url path ("" for the default page) -> page_script_hash
        self.page = ""  # current url path
        self.page_hash = ""
        self.query_string = ""
        self.widgets: dict[str, Widget] = {}  # user key -> widget, as the last full run drew them
        self.values: dict[str, WidgetState] = {}  # widget id -> the value this user set
        self.cache: dict[str, tuple[str, object, bytes]] = {}  # message hash -> element (ForwardMsg cache)
        self.session_id = ""
        self.cookies: dict[str, str] = {}  # e.g. the load balancer's affinity cookie

    # ----------------------------------------------------------------- connection

    def connect(self, path: str = "") -> None:
        """Load the page (its HTML: a load balancer's affinity cookie comes with it), then open the
        websocket with that cookie, as the browser does."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        request = urllib.request.Request(f"{self.base_url}/{path}", headers=self._cookie_header())
        try:
            with opener.open(request, timeout=self.timeout_s) as resp:
                resp.read()
                for header in resp.headers.get_all("Set-Cookie") or []:
                    name, _, rest = header.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0].strip()
        except (urllib.error.URLError, OSError) as exc:
            raise ProtocolError(f"page load failed: {exc!r}") from exc
        url = "ws" + self.base_url[4:] + "/_stcore/stream"
        try:
            headers = [f"{k}: {v}" for k, v in self._cookie_header().items()]
            self.ws = websocket.create_connection(url, subprotocols=["streamlit"], timeout=self.timeout_s,
                                                  header=headers)
        except (websocket.WebSocketException, OSError) as exc:
            raise ProtocolError(f"websocket refused: {exc!r}") from exc

    def _cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def close(self) -> None:
        if self.ws is not None:
            try:
                self.ws.close()
            finally:
                self.ws = None

    # ----------------------------------------------------------------- actions

    def open(self, path: str = "") -> Reply:
        """The first run of a new tab on `path` (like typing the address): the page is chosen by name."""
        self.connect(path)
        self.page = path
        return self._run(page_name=path)

    def switch_page(self, path: str) -> Reply:
        """Click a page in the sidebar navigation."""
        if path not in self.pages:
            raise ProtocolError(f"no page {path!r}; the app has {sorted(self.pages)}")
        self.page = path
        self.page_hash = self.pages[path]
        return self._run()

    def set_widget(self, key: str, value: object) -> Reply:
        """Change the widget with user key `key` (text, number, option label, slider value) and rerun
        (only its fragment, if it lives in one, as the browser does)."""
        w = self.widget(key)
        state = WidgetState(id=w.id)
        if w.kind == "slider":
            state.double_array_value.data[:] = [float(value)]
        elif w.kind in ("radio", "selectbox", "text_area", "text_input"):
            state.string_value = str(value)
        elif w.kind == "number_input":
            state.double_value = float(value)
        elif w.kind in ("checkbox", "toggle"):
            state.bool_value = bool(value)
        elif w.kind == "button":
            state.trigger_value = True
        else:
            raise ValueError(f"cannot set a {w.kind} widget ({key})")
        if w.kind != "button":
            self.values[w.id] = state
        return self._run(fragment_id=w.fragment_id, extra=[state] if w.kind == "button" else [])

    def widget(self, key: str) -> Widget:
        if key not in self.widgets:
            raise KeyError(f"no widget {key!r} on {self.page or 'the home page'} "
                           f"(has {sorted(self.widgets)})")
        return self.widgets[key]

    # ----------------------------------------------------------------- the protocol

    def _run(self, page_name: str = "", fragment_id: str = "", extra: list[WidgetState] | None = None
             ) -> Reply:
        if self.ws is None:
            raise ProtocolError("not connected")
        back = BackMsg()
        cs = back.rerun_script
        cs.query_string = self.query_string
        cs.page_script_hash = self.page_hash
        cs.page_name = page_name
        cs.fragment_id = fragment_id
        present = {w.id for w in self.widgets.values()}
        for wid, state in self.values.items():
            if wid in present:  # the frontend sends the widgets on screen
                cs.widget_states.widgets.add().CopyFrom(state)
        for state in extra or []:
            cs.widget_states.widgets.add().CopyFrom(state)
        cs.cached_message_hashes[:] = list(self.cache)
        start = time.perf_counter()
        self.ws.send_binary(back.SerializeToString())
        return self._read(start, fragment=bool(fragment_id))

    def _read(self, start: float, fragment: bool) -> Reply:
        reply = Reply(0.0, 0, 0, "")
        widgets: dict[str, Widget] = {}
        deadline = start + self.timeout_s
        while True:
            if time.perf_counter() > deadline:
                raise ProtocolError(f"no script_finished within {self.timeout_s:.0f} s")
            try:
                data = self.ws.recv()
            except (websocket.WebSocketException, OSError) as exc:
                raise ProtocolError(f"websocket closed: {exc!r}") from exc
            if not data:
                raise ProtocolError("websocket closed by the server")
            reply.nbytes += len(data)
            reply.messages += 1
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id or self.session_id
                self.page_hash = msg.new_session.page_script_hash or self.page_hash
            elif kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
                self.page_hash = msg.navigation.page_script_hash or self.page_hash
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "ref_hash":
                if msg.ref_hash not in self.cache:
                    reply.problems.append(f"reference to an element this tab never got ({msg.ref_hash})")
                    continue
                self._element(reply, widgets, *self.cache[msg.ref_hash], fragment_id=msg.delta.fragment_id)
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                el = msg.delta.new_element
                etype = el.WhichOneof("type")
                item = (etype, getattr(el, etype), data)
                if msg.metadata.cacheable:
                    self.cache[msg.hash] = item
                self._element(reply, widgets, *item, fragment_id=msg.delta.fragment_id)
            elif kind == "script_finished":
                status = FINISHED.get(msg.script_finished, str(msg.script_finished))
                if status == "early for rerun":
                    continue  # a rerun the script asked for (st.rerun, a callback): the next run follows
                reply.status = status
                if status == "compile error":
                    reply.problems.append("script error (compile)")
                break
        reply.seconds = time.perf_counter() - start
        if fragment:
            self.widgets.update(widgets)
        else:
            self.widgets = widgets
        return reply

    def _element(self, reply: Reply, widgets: dict[str, Widget], etype: str, el: object, raw: bytes,
                 fragment_id: str) -> None:
        reply.elements.append((etype, el, raw))
        if etype == "exception":
            reply.problems.append(f"exception element: {el.type}: {el.message[:200]}")
        elif etype == "alert" and APP_ERROR_TEXT in el.body:
            reply.problems.append(f"error boundary: {el.body[:200]}")
        elif etype in WIDGET_TYPES and getattr(el, "id", ""):
            kind = "toggle" if etype == "checkbox" and el.type == el.TOGGLE else etype
            w = Widget(el.id, kind, el, fragment_id)
            widgets[w.key] = w


def foreign_tags(raw: bytes, pattern: re.Pattern[bytes], own: bytes) -> set[bytes]:
    """Tags of other students found in `raw` (bounded so that base64 data cannot fake one)."""
    return {m for m in pattern.findall(raw) if m != own}
