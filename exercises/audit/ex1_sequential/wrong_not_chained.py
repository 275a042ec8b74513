# Every block gets the original input; only the last block's output survives.
class MySequential(nn.Module):
    def __init__(self, *blocks):
        super().__init__()
        for index, block in enumerate(blocks):
            self.add_module(str(index), block)

    def forward(self, X):
        out = X
        for block in self._modules.values():
            out = block(X)
        return out
