"""The agency's last mapping, remembered per header: the next file with the same columns
(in the same order) is mapped the same way, statuses included."""

from crm.importing.mapping import Mapping, header_signature, mapping_with
from crm.models import ImportMapping, Organization


def remembered_mapping(organization: Organization, header: list[str]) -> Mapping | None:
    saved = ImportMapping.objects.filter(
        organization=organization, signature=header_signature(header)
    ).first()
    if saved is None or len(saved.targets) != len(header):
        return None
    mapping = mapping_with(header, saved.targets, saved.statuses)
    mapping.remembered = True
    return mapping


def mapping_remember(*, organization: Organization, mapping: Mapping) -> None:
    """Keep `mapping` as the agency's mapping for files with its header."""
    ImportMapping.objects.update_or_create(
        organization=organization,
        signature=header_signature(mapping.header),
        defaults={
            "header": mapping.header,
            "targets": [column.target for column in mapping.columns],
            "statuses": mapping.statuses,
        },
    )
