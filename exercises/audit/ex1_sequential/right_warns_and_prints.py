# Correct, but noisy: warns and writes to stderr on every call (must still earn full marks).
import sys
import warnings


class MySequential(nn.Module):
    def __init__(self, *blocks):
        super().__init__()
        warnings.warn("MySequential: consider nn.Sequential in real code", UserWarning)
        for index, block in enumerate(blocks):
            self.add_module(f"layer_{index}", block)

    def forward(self, X):
        print("MySequential.forward called", file=sys.stderr)
        for block in self._modules.values():
            X = block(X)
        return X
