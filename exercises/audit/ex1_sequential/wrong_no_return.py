# forward computes the chain but never returns it: the call gives None.
class MySequential(nn.Module):
    def __init__(self, *blocks):
        super().__init__()
        for index, block in enumerate(blocks):
            self.add_module(str(index), block)

    def forward(self, X):
        for block in self._modules.values():
            X = block(X)
