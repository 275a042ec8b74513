# Blocks kept in the tuple *blocks arrived in: invisible to PyTorch like a list.
class MySequential(nn.Module):
    def __init__(self, *blocks):
        super().__init__()
        self.blocks = blocks

    def forward(self, X):
        for block in self.blocks:
            X = block(X)
        return X
