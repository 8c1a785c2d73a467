"""Loading the demo knowledge (取組6, 8): data/entries.json and data/synonyms.json, invented
demo content marked `is_demo`, loaded idempotently by `load_minato_demo` through core's demo
loader registry."""

from django.db import transaction

from . import services
from .evaluation import content_dir, load_json
from .models import Category, Entry, SynonymGroup


def load_knowledge(directory=None) -> str:
    entries_file = load_json("entries.json", directory)
    groups_file = load_json("synonyms.json", directory)
    created = updated = 0
    with transaction.atomic():
        for order, category in enumerate(entries_file.get("categories", [])):
            Category.objects.update_or_create(code=category["code"], defaults={
                "name": category["name"], "name_en": category.get("name_en", ""),
                "sort_order": order})
        for item in entries_file.get("entries", []):
            data = {
                "key": item["key"], "category": item["category"],
                "department": item.get("department") or None,
                "contact": item.get("contact", ""),
                "status": item.get("status", Entry.Status.PUBLISHED),
                "question_ja": item["question"].get("ja", ""),
                "question_en": item["question"].get("en", ""),
                "answer_ja": item["answer"].get("ja", ""),
                "answer_en": item["answer"].get("en", ""),
                "phrasings_ja": item.get("phrasings", {}).get("ja", []),
                "phrasings_en": item.get("phrasings", {}).get("en", []),
                "related": item.get("related", []),
                "review_date": item.get("review_date") or None,
                "is_demo": item.get("is_demo", True),
            }
            from cityhall.core.models import Department

            if data["department"] and not Department.objects.filter(
                    code=data["department"]).exists():
                data["department"] = None
            entry = Entry.objects.filter(key=item["key"]).first()
            if entry is not None and not entry.is_demo:
                continue  # staff took the entry over: the demo never overwrites it
            before = entry.revision if entry else None
            saved = services.entry_save(data=data, entry=entry, actor=None,
                                        action="" if entry else "create")
            if entry is None:
                created += 1
            elif saved.revision != before:
                updated += 1
        known = {frozenset(t.lower() for t in group.terms)
                 for group in SynonymGroup.objects.all()}
        new_groups = 0
        for terms in groups_file.get("groups", []):
            if frozenset(t.lower() for t in terms) not in known:
                services.synonym_group_save(terms=terms, note="demo", actor=None)
                new_groups += 1
    return (f"FAQ: {created} entries created, {updated} updated, {new_groups} synonym groups "
            f"added (from {content_dir().name}/)")


def load_demo_knowledge() -> str:
    return load_knowledge()
