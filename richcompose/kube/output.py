"""convert → validate → write, the whole of `convert kubernetes -o DIR`: objects that fail the
schemas or the semantic checks are never written."""

from __future__ import annotations

from pathlib import Path

from richcompose.config.models import Project
from richcompose.kube import writer
from richcompose.kube.context import Obj
from richcompose.kube.convert import Conversion, convert
from richcompose.kube.options import ConvertOptions
from richcompose.kube.validate import problems, raise_problems


def convert_to_directory(project: Project, options: ConvertOptions, directory: Path) -> Conversion:
    conversion = convert(project, options)
    by_file: dict[str, list[Obj]] = {}
    for obj in conversion.objects:  # two objects of one kind and name share a file name
        by_file.setdefault(writer.file_name(obj), []).append(obj)
    raise_problems(directory, problems(by_file, options.kube_version, options.feature_gates))
    writer.write(directory, conversion.objects, options)
    return conversion
