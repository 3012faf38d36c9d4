"""`source_of` names an expression in a message: one line, shortened."""

from __future__ import annotations

import libcst as cst

from analyzers.rules._shapes import source_of


def _expr(code: str) -> cst.BaseExpression:
    statement = cst.parse_module(code).body[0]
    assert isinstance(statement, cst.SimpleStatementLine)
    expr = statement.body[0]
    assert isinstance(expr, cst.Expr)
    return expr.value


def test_a_multi_line_expression_reads_as_one_line():
    call = _expr("gather(\n    *(\n        send(peer)\n        for peer in peers\n    )\n)\n")
    assert source_of(call) == "gather(*(send(peer) for peer in peers))"


def test_long_code_is_shortened_to_the_limit():
    assert source_of(_expr("first_function_name(argument_one, argument_two)\n"), 20) == (
        "first_function_na..."
    )
