"""Reference and demo data of the feedback app (取組11).

The topic list is the city's own configuration (staff change it in the admin afterwards). The
demo opinions, Q&A entries and the two 広聴担当 staff are invented and marked as demo.
"""

from django.db import transaction

from cityhall.core.demo import DEMO_DOMAIN, STAFF

TOPICS = [
    ("general", "区政全般", "City administration in general"),
    ("town-planning", "まちづくり", "Town planning"),
    ("childcare", "子育て・教育", "Childcare and education"),
    ("welfare", "福祉・健康", "Welfare and health"),
    ("environment", "環境・リサイクル", "Environment and recycling"),
    ("disaster", "防災・安全", "Disaster prevention and safety"),
    ("culture", "文化・スポーツ", "Culture and sports"),
    ("procedures", "手続・窓口", "Procedures and counters"),
    ("digital", "デジタル化・ホームページ", "Digital services and website"),
]

# (topic, kind, department, text, question summary, answer)
DEMO_QA = [
    ("town-planning", "proposal", "community",
     "芝公園の近くにベンチを増やしてほしいです。散歩の途中で休める場所が少ないです。",
     "公園や歩道に、散歩の途中で休めるベンチを増やしてほしい。",
     "区内の公園では、利用状況を踏まえてベンチの増設を順次進めています。芝公園周辺については、"
     "来年度の改修計画の中で設置場所を検討します。"),
    ("childcare", "question", "hoiku",
     "保育園の空き状況はどこで確認できますか。",
     "保育園の空き状況はどこで確認できるか。",
     "区のホームページ「保育園の空き状況」で毎月1日に更新しています。"
     "各総合支所の窓口でもご確認いただけます。"),
    ("disaster", "opinion", "disaster-management",
     "避難所の開設状況をスマートフォンで見られるようにしてほしい。",
     "避難所の開設状況をスマートフォンで確認できるようにしてほしい。",
     "避難所の開設状況と混雑状況は、区のポータルの「避難所」ページで確認できます。"
     "LINE公式アカウントでもお知らせしています。"),
]


def load_topics() -> str:
    from .models import Topic

    for order, (code, name, name_en) in enumerate(TOPICS, start=1):
        Topic.objects.get_or_create(code=code, defaults={
            "name": name, "name_en": name_en, "order": order * 10})
    return f"{len(TOPICS)} feedback topics"


def load_demo() -> str:
    from cityhall.core.models import Department, User

    from . import services
    from .models import Opinion, Topic

    if Opinion.objects.filter(is_demo=True).exists():
        return "feedback demo already loaded"
    # The two 広聴担当 personas of core.demo (the demo portal loads them before this runs).
    officer, approver = (User.objects.get(email=STAFF[key].email)
                         for key in ("kouchou", "kouchou_2"))
    with transaction.atomic():
        for topic, kind, department, text, question, answer in DEMO_QA:
            opinion = services.opinion_submit(
                topic=Topic.objects.get(code=topic), kind=kind, text=text, actor=None,
                consent_to_publish=True, is_demo=True)
            services.opinion_route(opinion=opinion, actor=officer,
                                   department=Department.objects.get(code=department))
            entry = services.qa_save(opinion=opinion, question=question, answer=answer,
                                     actor=officer, is_demo=True)
            services.qa_publish(entry=entry, actor=approver)
            services.opinion_close(opinion=opinion, actor=officer, without_reply=True)
        waiting = services.opinion_submit(
            topic=Topic.objects.get(code="environment"), kind="complaint",
            text="夜間のごみ収集車の音が気になります。", actor=None, wants_reply=True,
            contact_name="デモ 太郎", contact_email=f"demo.sender@{DEMO_DOMAIN}",
            is_demo=True)
        services.opinion_route(opinion=waiting, actor=officer,
                               department=Department.objects.get(code="recycle-seiso"))
        services.opinion_submit(
            topic=Topic.objects.get(code="digital"), kind="opinion",
            text="オンライン申請がスマートフォンで使いやすくなりました。", actor=None,
            is_demo=True)
    return f"{len(DEMO_QA) + 2} demo opinions, {len(DEMO_QA)} published Q&A"
