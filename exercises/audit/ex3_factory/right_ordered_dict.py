# An OrderedDict of named blocks, built with a generator.
from collections import OrderedDict


def replicate(block_factory, n):
    return nn.Sequential(OrderedDict((f"block_{i}", block_factory()) for i in range(n)))
