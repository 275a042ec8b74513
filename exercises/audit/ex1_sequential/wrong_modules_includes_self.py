# Walks self.modules(), which yields the model itself first: forward calls itself without end.
class MySequential(nn.Module):
    def __init__(self, *blocks):
        super().__init__()
        for index, block in enumerate(blocks):
            self.add_module(str(index), block)

    def forward(self, X):
        for block in self.modules():
            X = block(X)
        return X
