"""The one-pass trigger search must find exactly what `trigger in source` finds."""

from analyzers.triggers import TriggerIndex


def test_overlapping_and_nested_triggers_are_all_found() -> None:
    index = TriggerIndex()
    source = "time.sleep(1)\nself.done.emit(x)\n"
    found = index.present(source, ("sleep(", "time.sleep(", ".emit(", "emit", "missing"))
    assert found == frozenset({"sleep(", "time.sleep(", ".emit(", "emit"})


def test_a_trigger_asked_later_is_looked_for_in_the_same_source() -> None:
    index = TriggerIndex()
    source = "import re\nrows.append(row)\n"
    assert index.present(source, ("import re",)) == frozenset({"import re"})
    assert index.present(source, ("append(",)) == frozenset({"import re", "append("})


def test_non_ascii_text_around_a_trigger() -> None:
    index = TriggerIndex()
    source = 'log.info("安装完成 ✅")\nshutil.rmtree(path)\n'
    assert index.present(source, ("rmtree(", "安装")) == frozenset({"rmtree(", "安装"})
    assert index.present("no match here", ("rmtree(",)) == frozenset()
