# Returns the two outputs as a tuple instead of one concatenated tensor.
class Parallel(nn.Module):
    def __init__(self, net1, net2):
        super().__init__()
        self.net1, self.net2 = net1, net2

    def forward(self, X):
        return self.net1(X), self.net2(X)
