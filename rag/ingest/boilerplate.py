"""Line patterns of news-page boilerplate (navigation, related links, cookie banners, tags,
bylines, source lines) and the light folding they are matched on. Data for rag.clean."""

from __future__ import annotations

import re

_TASHKEEL = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u0640]")
_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ی": "ي", "ک": "ك"})


def fold_line(text: str) -> tuple[str, list[int]]:
    """Matching key (no diacritics, one alef, lower case) and each key char's index in text."""
    out: list[str] = []
    idx: list[int] = []
    for i, ch in enumerate(text):
        if not _TASHKEEL.match(ch):
            low = ch.translate(_FOLD).lower()
            out.append(low)
            idx.extend([i] * len(low))
    return "".join(out), idx


def _alts(words: str) -> str:
    return "|".join(sorted(words.split("|"), key=len, reverse=True))


_P = r"[^\w]*"  # leading bullets / punctuation
# Calls to action; the weak ones are also ordinary verbs («شارك الوزير في القمة»).
_SOCIAL_LEAD = (
    "تابعونا|تابعنا|الشبكات الاجتماعية|مواقع التواصل|اشترك في النشرة|للاشتراك|follow us|share this|"
    "subscribe|sign up|newsletter|النشرة البريدية"
)
_SOCIAL_WEAK = "تابعوا|شارك|شاركها|مشاركة|اشترك|انضم الينا|follow|share"
_SOCIAL_SITES = (
    "facebook|twitter|whatsapp|telegram|instagram|youtube|linkedin|email|print|فيسبوك|فيس بوك|"
    "تويتر|واتساب|تلغرام|تيليجرام|انستغرام|يوتيوب|طباعة"
)
# Lines that are nothing but one of these phrases (matched on the folded key).
_WHOLE = {
    "related-links": "مقالات مشابهة|مقالات ذات صلة|اخبار ذات صلة|مواضيع ذات صلة|قد يعجبك ايضا|"
    "قد يعحبك ايضا|قد يهمك ايضا|قد يهمك|اقرا المزيد|الاكثر قراءة|الاكثر مشاهدة|related articles|"
    "related stories|related posts|related news|related|read more|more stories|you may also like|"
    "you might also like|most read|recommended",
    "navigation": "المقال السابق|المقال التالي|الخبر السابق|الخبر التالي|المقالة السابقة|"
    "المقالة التالية|روابط سريعة|روابط مهمة|previous article|next article|previous post|next post|"
    "quick links",
    "comment-form": "دع تعليقا|اترك تعليقا|اترك تعليقك|اضف تعليق|اضف تعليقا|اضف تعليقك|التعليقات|"
    "تعليقات|اكتب تعليقك|leave a comment|leave a reply|add a comment|comments|post a comment",
    "ad": "اعلان|advertisement|sponsored|محتوى مدفوع|ad",
    "social": f"{_SOCIAL_LEAD}|{_SOCIAL_WEAK}|{_SOCIAL_SITES}",
}
WHOLE_RE = {k: re.compile(rf"^{_P}(?:{_alts(v)})\W*$") for k, v in _WHOLE.items()}
# A row of share buttons: «فيسبوك تويتر واتساب».
WHOLE_RE["social"] = re.compile(rf"^(?:{_P}(?:{_alts(_WHOLE['social'])})\b)+\W*$")
# Social lines also come as a lead word plus more words, or glued («تابعونافلاش نيوز»).
SOCIAL = re.compile(
    rf"^{_P}(?:تابعونا|تابعنا|الشبكات الاجتماعية|(?:{_alts(_SOCIAL_LEAD)})\b"
    rf"|(?:{_alts(_SOCIAL_WEAK)})\b.*\b(?:{_alts(_SOCIAL_SITES)}|{_alts(_SOCIAL_LEAD)})\b)"
)
READ_ALSO = re.compile(rf"^{_P}(?:اقرا ايضا|read also|also read|see also)\b\s*[:：\-–]?\s*")
RELATED_INLINE = re.compile(rf"^{_P}(?:{_alts(_WHOLE['related-links'])})\s*[:：]")
TAGS = re.compile(rf"^{_P}(?:كلمات دلالية|الكلمات الدلالية|كلمات مفتاحية|وسوم|tags|keywords)\s*:")
SOURCE = re.compile(r"^[^\w]*(?:المصدر|مصدر الخبر|[Ss]ources?|SOURCE)\s*[:：|]\s*(?P<name>.+)$")
COOKIE = re.compile(
    r"كوكيز|ملفات (?:تعريف )?الارتباط|cookie|^(?:هذا الموقع يستخدم|this (?:web)?site uses)"
)
# A long line about cookies is a banner only if it asks for consent (articles discuss cookies).
COOKIE_CUE = re.compile(
    r"^(?:هذا الموقع يستخدم|يستخدم هذا الموقع|this (?:web)?site uses|we use cookies)|موافق|اوافق"
    r"|قبول|الخصوصية|\b(?:accept|agree|consent|privacy|continuing to use)\b"
)
CONSENT = re.compile(
    r"لهذا النموذج|حفظ بيناتك|حفظ بياناتك|by using this form|لن يتم نشر عنوان|احفظ اسمي"
    r"|save my name|email address will not be published|الحقول الالزامية|required fields are"
)
DOMAIN = re.compile(r"^(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?:/\S*)?$")
BY = re.compile(r"^by\s+\S+(?:\s+\S+){0,3}$")
BY_AR = re.compile(r"^(?P<kw>متابعة|بقلم|كتب|كتبت|إعداد|اعداد|تحرير|ترجمة)\s*[/:：\-–]\s*(?P<n>.+)")
BY_STAR = re.compile(r"^\*\s*(?P<n>[^:：*]{2,40}?)\s*[:：]")
BY_DESK = re.compile(r"^[^:：]{2,40}?\s*[:：]\s*(?:اخبار ومتابعات|متابعات|اخبار)$")
MENU_RE = re.compile(
    _alts(
        "الرئيسية|الصفحة الرئيسية|اخبار|الاخبار|مقالات|المقالات|الحدث|انتم والحدث|اعرف اكثر|"
        "الافتتاحية|رياضة|الرياضة|اقتصاد|الاقتصاد|سياسة|منوعات|ثقافة|فن|فنون|تكنولوجيا|صحة|فيديو|"
        "صور|اتصل بنا|من نحن|للاعلان معنا|اعلن معنا|سياسة الخصوصية|شروط الاستخدام|عربي ودولي|"
        "محليات|تقارير|تحقيقات|اراء|راي|كتاب|المزيد|بحث|ارشيف|مجتمع|عاجل|home|news|world|politics|"
        "business|sports?|opinion|culture|tech|technology|health|science|videos?|photos|about|"
        "about us|contact|contact us|advertise|privacy policy|terms|search|menu|login|latest"
    ).replace(" ", "")
)
GLUE = re.compile(r"[ةى](?=[\u0621-\u064a])|[a-z](?=[A-Z])")
QUOTED = re.compile(r"^[\"“”«'].*[\"“”»']$")
PERIOD_END = re.compile(r"(?<!\.)\.[\"”»')]?$")
BULLET = re.compile(r"^[•·▪●►◦*\-–—]\s*")
# Openers of a paragraph that carries on the story just told (so a preceding «اقرأ أيضاً» +
# headline was an inline link, not the start of another article).
CONTINUES = re.compile(
    r"^(?:و(?:قال|قالت|اضاف|اضافت|اكد|اكدت|اشار|اشارت|اوضح|اوضحت|اعلن|اعلنت|افاد|افادت|اعتبر"
    r"|كان|كانت|في|من|على|ذكر|ذكرت|بحسب|وفق|وفقا|لفت|لفتت|بين|بينت|قد|لم|لا|لن|هو|هي|هذا|هذه"
    r"|ذلك|بعد|قبل|مع|ال\w+|ت\w{2,}|ي\w{2,}|ن\w{2,})|فيما|فقد|فان|كما|لكن|الا ان"
    r"|and|but|however|meanwhile|he|she|they|it|this|also|in addition|earlier|later)\b"
)
DATELINE_OPENER = re.compile(r"^\S+(?: \S+)?\s?(?:[–—-]\s|/\s)|^[A-Z][A-Z .]+(?:\(.*?\))?\s*[–—-]")
