"""Node classes shaped like CasareRPA's nodes/ package."""

from ..utils.expressions import safe_eval


class RowsToTextNode:
    async def execute(self, context):
        text = ""
        for row in self.get_input_value("rows"):
            text += ",".join(row) + "\n"  # expect: CIA801
            self.preview = text
        return {"text": text}


class IfNode:
    async def execute(self, context):
        expression = self.config.get("expression", "")
        condition = safe_eval(expression, context.variables)  # expect: CIA802
        return {"next_nodes": ["true" if condition else "false"]}


class ForLoopStartNode:
    async def execute(self, context):
        items = list(range(self.start, self.end))  # expect: CIA803
        key = f"{self.node_id}_loop_state"
        if key not in context.variables:
            context.variables[key] = {"items": items, "index": 0}
        state = context.variables[key]
        return {"item": state["items"][state["index"]]}


class LaunchBrowserNode:
    async def execute(self, context):
        browser = await self.playwright.chromium.launch(headless=True)
        context.browser = browser  # expect: CIA804
        return {"browser": browser}


def extract_members(archive, members):
    for member in members:
        with archive.open(member) as source, open(member, "wb") as target:
            target.write(source.read())  # expect: CIA805
