"""Languages: set_language("ja") makes the library speak Japanese; None follows the environment, then English."""
import dataclasses

import pytest
import torch
from torch import nn

import d2lblocks
from d2lblocks import i18n
from d2lblocks._sequential import INDEX_OUT_OF_RANGE
from d2lblocks.i18n import LOCALE_VARIABLES, N_, Message, columns, get_language, gettext, set_language, translate

JAPANESE_BADGES = {"shared": "共有", "reused": "再利用", "unregistered": "未登録", "constant": "定数", "lazy": "遅延",
                   "frozen": "凍結"}


@pytest.fixture(autouse=True)
def _language_restored(monkeypatch):
    """Each test starts with no choice and no locale in the environment, and leaves the language as it found it."""
    for name in ("D2LBLOCKS_LANGUAGE", *LOCALE_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    before = i18n._chosen
    set_language(None)
    yield
    set_language(before)


def test_english_is_the_default_without_a_choice_or_a_locale():
    assert get_language() == "en"
    with pytest.raises(TypeError, match=r"MySequential got 42 \(type int\) as block 0, but every block must be"):
        d2lblocks.MySequential(42)


def test_set_language_ja_makes_a_library_error_japanese_when_it_is_raised():
    d2lblocks.set_language("ja")
    with pytest.raises(TypeError, match=r"MySequential がブロック 0 として受け取った 42（型 int）は nn.Module ではありません"):
        d2lblocks.MySequential(42)
    with pytest.raises(TypeError, match=r"param_tree\(\) には PyTorch のブロック.*渡されたのは str 'net' です"):
        d2lblocks.param_tree("net")
    d2lblocks.set_language("en")  # the language in force at the raise, not at import, decides
    with pytest.raises(TypeError, match=r"param_tree\(\) expects a PyTorch block"):
        d2lblocks.param_tree("net")


def test_set_language_none_follows_the_locale(monkeypatch):
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    d2lblocks.set_language(None)
    assert d2lblocks.get_language() == "ja"
    with pytest.raises(IndexError, match="MySequential のブロックは 1 個なので、インデックス 5 は範囲外です"):
        d2lblocks.MySequential(nn.ReLU())[5]


@pytest.mark.parametrize("environment, expected", [
    ({"LANG": "ja_JP.UTF-8"}, "ja"),
    ({"LANG": "C.UTF-8"}, "en"),  # a locale without a catalogue: English
    ({"LANG": "fr_FR.UTF-8"}, "en"),
    ({"LC_ALL": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, "ja"),  # gettext's order: LANGUAGE, LC_ALL, LC_MESSAGES, LANG
    ({"LC_MESSAGES": "en_GB", "LANG": "ja_JP"}, "en"),
    ({"LANGUAGE": "fr:ja:en", "LANG": "en_US"}, "ja"),  # LANGUAGE lists preferences: the first supported one
    ({"D2LBLOCKS_LANGUAGE": "ja", "LANG": "en_US.UTF-8"}, "ja"),  # the library's own variable comes first
    ({"D2LBLOCKS_LANGUAGE": "en", "LANGUAGE": "ja"}, "en"),
    ({"D2LBLOCKS_LANGUAGE": "klingon", "LANG": "ja_JP"}, "ja"),  # not a language we have: the locale decides
])
def test_the_language_comes_from_the_environment_when_none_is_set(monkeypatch, environment, expected):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert get_language() == expected


def test_an_explicit_choice_beats_the_environment(monkeypatch):
    monkeypatch.setenv("D2LBLOCKS_LANGUAGE", "ja")
    set_language("en")
    assert get_language() == "en"


def test_an_unsupported_language_is_refused_with_the_ones_that_exist():
    with pytest.raises(ValueError) as raised:
        d2lblocks.set_language("fr")
    assert str(raised.value) == ("set_language('fr'): supported languages are 'en' and 'ja'; pass one of them, "
                                 "or None to follow the locale")
    assert get_language() == "en"  # the refused choice changed nothing
    with pytest.raises(ValueError, match=r"translate\('ja_JP'\): supported languages"):
        translate("shared", "ja_JP")


def test_the_parameter_tree_text_shows_japanese_badges():
    tied = nn.Linear(4, 4)
    frozen = nn.Linear(4, 4).requires_grad_(False)
    d2lblocks.set_language("ja")
    texts = {
        "shared": d2lblocks.param_tree(nn.Sequential(tied, nn.ReLU(), tied)).to_text(),
        "reused": d2lblocks.param_tree(d2lblocks.FixedHiddenMLP(), torch.rand(2, 20)).to_text(),
        "unregistered": d2lblocks.param_tree(d2lblocks.FixedHiddenMLPPlainTensor()).to_text(),
        "constant": d2lblocks.param_tree(d2lblocks.FixedHiddenMLP()).to_text(),
        "lazy": d2lblocks.param_tree(d2lblocks.LazyMLP()).to_text(),
        "frozen": d2lblocks.param_tree(frozen).to_text(),
    }
    for badge, text in texts.items():
        assert f"[{JAPANESE_BADGES[badge]}]" in text and f"[{badge}]" not in text, text
    assert "net.linear: Linear  420 パラメータ  呼び出し 2 回  [再利用]" in texts["reused"]
    assert "直し方: self.register_buffer('rand_weight', tensor)" in texts["unregistered"]


def test_the_static_html_is_japanese_with_the_badge_names_kept_as_classes():
    d2lblocks.set_language("ja")
    page = d2lblocks.param_tree(d2lblocks.chimera(), torch.rand(2, 20)).to_html()
    assert '<div class="d2lpt" lang="ja">' in page
    assert '<span class="b b-reused" title="このモジュールは 1 回の順伝播で複数回実行されます' in page
    assert ">再利用</span>" in page and "パラメータ 4,712 個" in page
    d2lblocks.set_language("en")  # badge markup is cached per language, never across them
    assert ">reused</span>" in d2lblocks.param_tree(d2lblocks.chimera(), torch.rand(2, 20)).to_html()


def test_the_widget_state_carries_the_words_of_the_language_in_force():
    d2lblocks.set_language("ja")
    widget = d2lblocks.show(d2lblocks.chimera(), torch.rand(2, 20))
    state = widget.get_state()
    assert state["labels"]["badges"] == JAPANESE_BADGES and state["labels"]["lang"] == "ja"
    assert state["labels"]["mean"] == "平均" and state["labels"]["fix"] == "直し方: {fix}"
    assert "パラメータ 4,712 個" in state["summary"] and state["note_warnings"] == [False]
    widget.expanded = widget.expanded + ["net[2]"]
    assert widget.rows[-1]["badges"] == ["reused"]  # data keeps the names; the browser shows labels["badges"]
    widget.selected = "net[2].linear"
    assert widget.details["badges"][0]["label"] == "再利用"
    d2lblocks.set_language("en")
    widget.refresh()  # picks up the new language
    assert widget.labels["badges"]["reused"] == "reused" and "4,712 parameters" in widget.summary


def test_a_message_decided_now_is_rendered_later_in_any_language():
    message = Message(INDEX_OUT_OF_RANGE, {"length": 3, "index": 7, "last": 2})
    assert message.render("en").startswith("MySequential has 3 blocks, so index 7 is out of range")
    assert message.render("ja").startswith("MySequential のブロックは 3 個なので、インデックス 7 は範囲外です")
    d2lblocks.set_language("ja")
    assert str(message) == message.render("ja")
    with pytest.raises(dataclasses.FrozenInstanceError):  # a message, once decided, stays as it was
        message.msgid = "other"  # type: ignore[misc]


def test_a_message_among_the_fields_speaks_the_language_of_the_message_around_it():
    where = Message(N_("from call {call}"), {"call": 0})
    text = translate(N_("{owner} got {value!r} (type {type_name}) as block {position}, but every block must be an "
                        "nn.Module such as nn.Linear(20, 256) or nn.ReLU(). {hint}"), "ja",
                     owner=Message(N_("replicate's block_factory")), value=42, type_name="int", position=where, hint="")
    assert text.startswith("replicate の block_factory がブロック （呼び出し 0 の結果） として受け取った 42")


def test_translate_fills_placeholders_and_gettext_gives_the_template():
    assert translate(N_("called {count}×"), "ja", count=2) == "呼び出し 2 回"
    assert gettext(N_("called {count}×"), "ja") == "呼び出し {count} 回"
    assert N_("anything") == "anything"


def test_a_message_missing_from_the_catalogue_is_shown_in_english():
    assert translate("no such message, {name}", "ja", name="x") == "no such message, x"


def test_the_pitfall_table_lines_up_in_japanese():
    d2lblocks.set_language("ja")
    table = repr(d2lblocks.demonstrate_list_pitfall(module_keyed=False))
    lines = table.splitlines()
    assert lines[0].startswith("確認項目") and "壊れたコンテナ" in lines[0] and "オプティマイザの更新" in table
    bars = {tuple(columns(line[:i]) for i, c in enumerate(line) if c == "|") for line in lines if "|" in line}
    assert len(bars) == 1, table  # every row's | at the same terminal column


def test_find_unregistered_reports_in_japanese():
    d2lblocks.set_language("ja")
    report = str(d2lblocks.find_unregistered(d2lblocks.ListSequential(nn.Linear(20, 256), nn.ReLU())))
    assert report.splitlines()[:2] == ["find_unregistered: PyTorch から見えないものが 2 個あります",
                                       "  net.blocks[0]: list に入れられた Linear モジュール"]
    assert "直し方: ブロックは Python のリストではなく nn.ModuleList([...])" in report
