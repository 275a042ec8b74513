# Blocks kept in a Python list: forward works, but parameters() is empty.
class MySequential(nn.Module):
    def __init__(self, *blocks):
        super().__init__()
        self.blocks = list(blocks)

    def forward(self, X):
        for block in self.blocks:
            X = block(X)
        return X
