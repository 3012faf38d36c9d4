"""Desktop automation shaped like CasareRPA's desktop/ package (uiautomation on Windows)."""

import asyncio
import time

import uiautomation as auto
from PIL import ImageGrab


def find_control(parent, name, timeout=5.0):
    start = time.time()
    while time.time() - start < timeout:
        control = parent.Control(Name=name, searchDepth=10)
        if control.Exists(0, 0):
            return control
        time.sleep(0.1)  # expect: CIA702
    return None


class FindElementNode:
    async def execute(self, context):
        window = self.get_input_value("window")
        element = window.find_child(self.selector, timeout=5)  # expect: CIA701
        return {"element": element}


class ScrollNode:
    async def execute(self, context):
        auto.WheelDown(10, 10, wheelTimes=3)  # expect: CIA701
        return {}


class ClickNode:
    async def execute(self, context):
        element = await asyncio.to_thread(self.window.find_child, self.selector, 5)
        return {"element": element}


async def click_with_retry(element, attempts, delay):
    for attempt in range(attempts):
        try:
            return await element.click()
        except OSError:
            await asyncio.sleep(delay)  # expect: CIA703
    return None


def capture_regions(elements):
    crops = []
    for element in elements:
        shot = ImageGrab.grab()  # expect: CIA704
        crops.append(shot.crop(element.rect))
    return crops


def run_sync(coro):
    import concurrent.futures

    try:
        asyncio.get_running_loop()
        with concurrent.futures.ThreadPoolExecutor() as pool:
            return pool.submit(asyncio.run, coro).result()  # expect: CIA705
    except RuntimeError:
        return asyncio.run(coro)
