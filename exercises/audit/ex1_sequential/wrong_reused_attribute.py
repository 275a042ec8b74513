# Every block assigned to the same attribute: each assignment replaces the block registered before.
class MySequential(nn.Module):
    def __init__(self, *blocks):
        super().__init__()
        for block in blocks:
            self.block = block

    def forward(self, X):
        for block in self._modules.values():
            X = block(X)
        return X
