"""Config stage: project files → a validated `Project`."""

from richcompose.config.loader import LoadOptions, find_project_files, load_project
from richcompose.config.models import Project, Service

__all__ = ["LoadOptions", "Project", "Service", "find_project_files", "load_project"]
