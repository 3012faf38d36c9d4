"""CIA802: a node parses/compiles the same expression text on every execution."""

from __future__ import annotations

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import arg, body_nodes, call_name, decorator_names, import_map

_PARSERS_QUALIFIED = frozenset({"ast.parse", "builtins.compile", "jinja2.Template"})
_PARSER_NAMES = frozenset({"safe_eval", "simple_eval", "eval", "compile", "literal_eval"})
_EXECUTE = frozenset({"execute", "run", "_execute"})


class ExpressionParsedPerCall(Rule):
    """Loop and branch nodes re-parse their condition on every pass."""

    ID = "CIA802"
    AREA = 8
    TITLE = "Expression parsed or compiled on every node execution"
    RATIONALE = (
        "`safe_eval`/`eval`/`ast.parse` turn the expression text into an AST (and validate "
        "it) each time the node runs. Condition, switch and while-loop nodes run once per "
        "iteration, so a 1,000-iteration loop parses the same string 1,000 times; parsing "
        "dominates the evaluation itself."
    )
    # Compiling a short expression costs microseconds: worth caching, rarely a hot spot.
    IMPACT = 3
    FREQUENCY = 4
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Parse and validate once, then evaluate the cached code object: keep a module-level "
        "`functools.lru_cache` keyed by the expression text that returns "
        "`compile(ast_tree, '<expr>', 'eval')` (after the safety check), and evaluate that "
        "with the variables each time."
    )
    EXAMPLE_BEFORE = """\
async def execute(self, context):
    condition = safe_eval(self.config["expression"], context.variables)
"""
    EXAMPLE_AFTER = """\
@functools.lru_cache(maxsize=512)
def _compiled(expression: str):
    tree = ast.parse(expression, mode="eval")
    check_safe(tree)
    return compile(tree, "<expr>", "eval")

async def execute(self, context):
    condition = eval(_compiled(self.config["expression"]), SAFE_GLOBALS, context.variables)
"""
    TAGS = ("cpu", "caching", "per-call")
    TRIGGERS = ("eval(", "compile(", "ast.parse", "Template(")
    VALID = (
        Valid(
            """\
            import functools
            @functools.lru_cache(maxsize=256)
            def _compiled(expression):
                return compile(expression, "<expr>", "eval")

            async def execute(self, context):
                return eval(_compiled(self.expression), {}, context.variables)
            """
        ),
        # Literal code compiled once per call of a non-node helper: not reported.
        Valid(
            """\
            def helper(text):
                return safe_eval(text, {})
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            class WhileLoopStartNode:
                async def execute(self, context):
                    expression = self.config.get("expression", "")
                    condition = safe_eval(expression, context.variables)
            """,
            line=4,
            message_contains="safe_eval",
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        self._imports = import_map(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value not in _EXECUTE or decorator_names(node) & {"lru_cache", "cache"}:
            return
        for sub, _ in body_nodes(node):
            if not isinstance(sub, cst.Call):
                continue
            qualified = self._imports.qualify(sub.func) or ""
            name = call_name(sub)
            if qualified not in _PARSERS_QUALIFIED and not (
                name in _PARSER_NAMES and isinstance(sub.func, cst.Name)
            ):
                continue
            # eval(code_object) of something already compiled is the fix, not the defect.
            first = arg(sub, 0)
            if name == "eval" and isinstance(first, cst.Call):
                continue
            self.report(
                sub,
                f"`{name}(...)` re-parses the expression text on every {node.name.value}(): "
                f"cache the compiled code per expression (functools.lru_cache) and "
                f"evaluate that.",
            )
            return
