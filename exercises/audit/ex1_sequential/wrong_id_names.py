# Blocks named by their id(): a block passed twice gets one name, hence one entry for two positions.
class MySequential(nn.Module):
    def __init__(self, *blocks):
        super().__init__()
        for block in blocks:
            self.add_module(f"block_{id(block)}", block)

    def forward(self, X):
        for block in self._modules.values():
            X = block(X)
        return X
