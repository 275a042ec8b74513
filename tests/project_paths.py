"""Where the checkout keeps what the tests read: one place, so moving a folder is one edit."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "exercises"
ASSIGNMENT = "layers-and-blocks"
EXAMPLES = ROOT / "examples" / "submissions"
NOTEBOOKS = ROOT / "notebooks"
