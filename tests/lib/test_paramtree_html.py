"""The static HTML view: self-contained, collapsible, and readable without a kernel."""
import re
from html.parser import HTMLParser

import torch
from torch import nn

import d2lblocks


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.urls, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> _Collect:
    parser = _Collect()
    parser.feed(html)
    return parser


def test_the_html_view_needs_no_network_and_no_scripts():
    page = parse(d2lblocks.param_tree(d2lblocks.chimera()).to_html())
    assert "script" not in page.tags and page.urls == []
    assert "details" in page.tags and "summary" in page.tags


def test_every_module_and_tensor_of_the_chimera_is_in_the_html():
    model = d2lblocks.chimera()
    tree = d2lblocks.param_tree(model)
    text = "".join(parse(tree.to_html()).text)
    for node in tree.nodes():
        assert node.path in text
        assert all(t.name in text for t in node.tensors)
    assert f"{tree.num_params:,} parameters (each counted once)" in text


def test_badges_carry_an_explanation_and_the_list_pitfall_its_fix():
    html = d2lblocks.param_tree(d2lblocks.ListSequential(nn.Linear(2, 2))).to_html()
    assert re.search(r'<span class="b b-unregistered" title="PyTorch cannot see this[^"]*">unregistered</span>', html)
    assert "fix: store the blocks in nn.ModuleList" in html


def test_names_are_escaped_so_a_tensor_cannot_inject_markup():
    model = nn.Module()
    model.__dict__["<b>oops</b>"] = torch.ones(1)
    html = d2lblocks.param_tree(model).to_html()
    assert "<b>oops</b>" not in html and "&lt;b&gt;oops&lt;/b&gt;" in html


def test_a_huge_model_gives_a_page_of_bounded_size_that_says_what_was_left_out():
    model = nn.Sequential(*[nn.Linear(2, 2 + i % 2) if i % 2 else nn.Linear(3, 2) for i in range(2000)])
    small = d2lblocks.param_tree(model).to_html(max_rows=100)
    assert "more rows not shown" in small and small.count("<details") <= 100


def test_the_root_is_open_and_everything_below_starts_collapsed():
    html = d2lblocks.param_tree(d2lblocks.chimera()).to_html()
    assert html.count("<details open>") == 1


def test_a_run_of_identical_blocks_shows_the_first_in_full_and_the_rest_as_one_line_each():
    model = nn.Sequential(*[nn.Sequential(nn.Linear(4, 4), nn.ReLU()) for _ in range(4)])
    text = "".join(parse(d2lblocks.param_tree(model).to_html()).text)
    assert "net[0…3]: 4 × Sequential" in text and "net[0][0]: Linear" in text
    assert "net[3]: Sequential  20 params same structure as net[0]" in text and "net[3][0]" not in text
