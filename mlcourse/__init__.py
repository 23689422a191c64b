"""mlcourse: the helper package of the course "Machine learning and deep learning for medical image analysis"."""

from mlcourse.config import Config, setup
from mlcourse.paths import display_path, is_fast

__version__ = "0.1.0"

__all__ = ["Config", "display_path", "is_fast", "setup", "__version__"]
