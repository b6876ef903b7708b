"""Kubernetes target: the validated Project → Kubernetes objects, the counterpart of bundle/.

convert.py sequences the small builders (workload, service, files, volumes, probes, rich);
refuse.py says what cannot be converted, with a location and a fix; semantic.py and schema.py
check the objects; writer.py writes one file per object plus kustomization.yaml; deploy.py
wraps kubectl. Nothing here is imported by the other commands: the base install stays small.
"""
