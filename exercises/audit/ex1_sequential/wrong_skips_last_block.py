# Off by one: the loop stops before the last block.
class MySequential(nn.Module):
    def __init__(self, *blocks):
        super().__init__()
        for index, block in enumerate(blocks):
            self.add_module(str(index), block)

    def forward(self, X):
        blocks = list(self._modules.values())
        for i in range(len(blocks) - 1):
            X = blocks[i](X)
        return X
