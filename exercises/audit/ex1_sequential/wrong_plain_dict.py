# Blocks kept in a plain dict keyed by position: a container PyTorch does not look into.
class MySequential(nn.Module):
    def __init__(self, *blocks):
        super().__init__()
        self.blocks = {str(i): block for i, block in enumerate(blocks)}

    def forward(self, X):
        for block in self.blocks.values():
            X = block(X)
        return X
