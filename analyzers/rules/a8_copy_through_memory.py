"""CIA805: a file or archive member copied by reading it whole into memory."""

from __future__ import annotations

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import arg, call_name, call_receiver


class CopyThroughMemory(Rule):
    """`dst.write(src.read())` holds the whole payload in RAM at once."""

    ID = "CIA805"
    AREA = 8
    TITLE = "Whole file read into memory to copy it"
    RATIONALE = (
        "`target.write(source.read())` loads the entire file (an archive member, a "
        "download, an attachment) into one bytes object before writing it: peak memory "
        "equals the largest file, a multi-GB member can exhaust the robot's memory, and "
        "nothing is written until everything is read."
    )
    IMPACT = 4
    FREQUENCY = 3
    DIFFICULTY = 1
    RECOMMENDATION = (
        "Stream in chunks: `shutil.copyfileobj(source, target, length=1024 * 1024)` (or "
        "`shutil.copyfile`/`zf.extract` after validating the path), which keeps memory "
        "constant whatever the file size."
    )
    EXAMPLE_BEFORE = """\
with zf.open(member) as source, open(target_path, "wb") as target:
    target.write(source.read())
"""
    EXAMPLE_AFTER = """\
with zf.open(member) as source, open(target_path, "wb") as target:
    shutil.copyfileobj(source, target, length=1024 * 1024)
"""
    TAGS = ("memory", "io", "large-data")
    TRIGGERS = (".read())",)
    VALID = (
        Valid(
            """\
            import shutil
            def copy(src, dst):
                with open(src, "rb") as s, open(dst, "wb") as d:
                    shutil.copyfileobj(s, d)
            """
        ),
        # A bounded read is a chunked copy.
        Valid(
            """\
            def copy_head(s, d):
                d.write(s.read(4096))
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            def extract(zf, member, target_path):
                with zf.open(member) as source, open(target_path, "wb") as target:
                    target.write(source.read())
            """,
            line=3,
            message_contains="source.read()",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if call_name(node) != "write" or not isinstance(node.func, cst.Attribute):
            return
        inner = arg(node, 0)
        if not (isinstance(inner, cst.Call) and call_name(inner) == "read" and not inner.args):
            return
        source = call_receiver(inner) or "source"
        target = call_receiver(node) or "target"
        self.report(
            node,
            f"`{target}.write({source}.read())` holds the whole file in memory: stream it "
            f"with shutil.copyfileobj({source}, {target}, length=1024 * 1024).",
        )
