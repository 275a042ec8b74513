# The chapter's version: _modules keyed by str(index).
class MySequential(nn.Module):
    def __init__(self, *args):
        super().__init__()
        for idx, module in enumerate(args):
            self._modules[str(idx)] = module

    def forward(self, X):
        for module in self._modules.values():
            X = module(X)
        return X
