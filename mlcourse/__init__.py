"""mlcourse: the helper package of the course "Machine learning and deep learning for medical image analysis"."""

from mlcourse.config import Config, setup
from mlcourse.paths import display_path, is_fast
from mlcourse.version import package_version

__version__ = package_version()

__all__ = ["Config", "display_path", "is_fast", "setup", "__version__"]
