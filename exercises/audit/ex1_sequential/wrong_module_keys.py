# The older edition's bug: _modules keyed by the block object instead of a string name.
class MySequential(nn.Module):
    def __init__(self, *blocks):
        super().__init__()
        for block in blocks:
            self._modules[block] = block

    def forward(self, X):
        for block in self._modules.values():
            X = block(X)
        return X
