"""CIA704: a full screen or window capture taken once per loop iteration."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    body_nodes,
    call_name,
    enclosing_loop,
    import_map,
    is_awaited,
    source_of,
)

_CAPTURES_QUALIFIED = frozenset(
    {
        "PIL.ImageGrab.grab",
        "pyautogui.screenshot",
        "pyautogui.locateOnScreen",
        "mss.mss",
        "uiautomation.CaptureToImage",
    }
)
_CAPTURE_METHODS = frozenset(
    {
        "grab",
        "screenshot",
        "CaptureToImage",
        "capture_screenshot",
        "capture_element_image",
        "grabWindow",
        "locateOnScreen",
    }
)


_CAPTURE_CALL = re.compile(
    r"\b(grab|screenshot|CaptureToImage|capture_screenshot|capture_element_image|grabWindow|"
    r"locateOnScreen|mss)\("
)


class ScreenCaptureInLoop(Rule):
    """Each capture copies the whole frame buffer (8 MB at 1080p) and encodes it."""

    ID = "CIA704"
    AREA = 7
    TITLE = "Screen capture inside a loop"
    RATIONALE = (
        "A screen grab copies the desktop frame buffer (about 8 MB at 1920x1080, 33 MB at "
        "4K) through GDI and usually converts it to a PIL image; doing it per iteration "
        "(per element, per retry, per comparison) makes the loop cost tens of milliseconds "
        "per step and churns memory."
    )
    IMPACT = 5
    FREQUENCY = 4
    DIFFICULTY = 3
    RECOMMENDATION = (
        "Capture once before the loop and crop regions from that image (`img.crop(box)`), "
        "or capture only the needed bounding box (`ImageGrab.grab(bbox=...)`); when "
        "polling for a visual change, capture a small region and back off the interval."
    )
    EXAMPLE_BEFORE = """\
for element in elements:
    shot = ImageGrab.grab()
    crops.append(shot.crop(element.rect))
"""
    EXAMPLE_AFTER = """\
shot = ImageGrab.grab()
for element in elements:
    crops.append(shot.crop(element.rect))
"""
    TAGS = ("desktop", "allocation")
    TRIGGERS = ("grab", "screenshot", "CaptureToImage", "capture_", "locateOnScreen")
    VALID = (
        Valid(
            """\
            from PIL import ImageGrab
            def crops(elements):
                shot = ImageGrab.grab()
                return [shot.crop(e.rect) for e in elements]
            """
        ),
        Valid(
            """\
            def read(self, sources):
                for s in sources:
                    s.grab_focus()
            """
        ),
    )
    INVALID = (
        # A comprehension is a loop too, with no `for` line above the capture.
        Invalid(
            """\
            def snapshots(screens):
                return [screen.grabWindow(0) for screen in screens]
            """,
            line=2,
        ),
        Invalid(
            """\
            from PIL import ImageGrab
            def crops(elements):
                out = []
                for e in elements:
                    out.append(ImageGrab.grab(bbox=None).crop(e.rect))
                return out
            """,
            line=5,
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        # A capture call and a loop anywhere: a capture in a comprehension
        # (`[s.grabWindow(0) for s in screens]`) is reported too, and has no loop line above.
        return (
            super().wants(source)
            and _CAPTURE_CALL.search(source) is not None
            and re.search(r"\b(?:for|while)\b", source) is not None
        )

    def visit_Module(self, node: cst.Module) -> None:
        self._imports = import_map(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        for sub, ancestors in body_nodes(node):
            if not isinstance(sub, cst.Call):
                continue
            qualified = self._imports.qualify(sub.func) or ""
            if qualified not in _CAPTURES_QUALIFIED and not (
                call_name(sub) in _CAPTURE_METHODS and not qualified and call_name(sub) != "grab"
            ):
                continue
            # Awaited screenshots are browser (Playwright) page captures, not desktop grabs.
            if is_awaited(ancestors) or enclosing_loop(sub, ancestors, comprehensions=True) is None:
                continue
            self.report(
                sub,
                f"`{source_of(sub.func)}()` captures the screen on every iteration: capture "
                f"once before the loop and crop, or grab only the needed bbox.",
            )
            return
