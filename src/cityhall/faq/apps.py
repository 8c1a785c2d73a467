"""The FAQ knowledge base and chatbot (取組6 AIチャットボットの導入, 取組8 問い合わせ対応の
効率化, 取組19 外国人への多言語対応): entries staff write, a Japanese-aware search that answers
only from them, a chat widget on every portal page, the JSON API and LINE, and the learning
loop that turns unanswered questions into new entries."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FaqConfig(AppConfig):
    name = "cityhall.faq"
    label = "faq"
    verbose_name = _("FAQ and chatbot")

    def ready(self):
        from .registrations import register

        register()
