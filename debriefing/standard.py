"""The shipped template, "Standard debrief v1", in English and Burmese (a migration publishes it)."""
# ruff: noqa: E501  (one question a line, both languages side by side, reads better than wrapped)

from __future__ import annotations

from typing import Any

NAME = "Standard debrief"


def q(
    key: str, kind: str, en: str, my: str, *, required: bool = False, tags: tuple[str, ...] = (), **extra: Any
) -> dict[str, Any]:
    question: dict[str, Any] = {
        "key": key, "type": kind, "label": {"en": en, "my": my}, "hint": {}, "required": required,
        "tags": list(tags), "relevant": None,
    }  # fmt: skip
    question.update(extra)
    return question


def choice(value: str, en: str, my: str) -> dict[str, Any]:
    return {"value": value, "label": {"en": en, "my": my}}


def section(key: str, en: str, my: str, questions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"key": key, "label": {"en": en, "my": my}, "questions": questions}


INTEL, RIGHTS, WELL = ("intelligence",), ("human_rights",), ("wellbeing",)
IF_YES = {"value": "yes"}

STRUCTURE: dict[str, Any] = {
    "languages": [{"code": "en", "name": "English (en)"}, {"code": "my", "name": "Burmese (my)"}],
    "default_language": "en",
    "sections": [
        section("background", "Service background", "တာဝန်ထမ်းဆောင်မှု နောက်ခံ", [
            q("service_years", "integer", "Years of service", "တာဝန်ထမ်းဆောင်ခဲ့သည့် နှစ်", required=True, min=0, max=60),
            q("service_branch", "select_one", "Branch", "တပ်ဖွဲ့", required=True, choices=[
                choice("army", "Army", "ကြည်း"), choice("police", "Police", "ရဲ"),
                choice("air_force", "Air force", "လေ"), choice("navy", "Navy", "ရေ"), choice("other", "Other", "အခြား"),
            ]),
            q("training", "long_text", "Training received", "ရရှိခဲ့သည့် သင်တန်းများ"),
        ]),
        section("unit", "Unit and command structure", "တပ်ရင်းနှင့် ကွပ်ကဲမှု ဖွဲ့စည်းပုံ", [
            q("unit_name", "text", "Unit", "တပ်ရင်း", required=True, tags=INTEL),
            q("commander", "text", "Commanding officer", "တပ်မှူး", tags=INTEL),
            q("unit_strength", "integer", "Approximate strength", "ခန့်မှန်း အင်အား", tags=INTEL, min=0, max=100000),
            q("command_chain", "long_text", "Chain of command above the unit", "တပ်ရင်းအထက် ကွပ်ကဲမှု", tags=INTEL),
        ]),
        section("bases", "Bases and deployments", "စခန်းများနှင့် တပ်ဖြန့်ချထားမှု", [
            q("base_region", "region", "State or region of the last base", "နောက်ဆုံးစခန်း တည်ရှိရာ ပြည်နယ်/တိုင်း", tags=INTEL),
            q("base_township", "text", "Township", "မြို့နယ်", tags=INTEL),
            q("deployments", "long_text", "Deployments in the last year", "လွန်ခဲ့သည့်နှစ် တပ်ဖြန့်ချမှုများ", tags=INTEL),
        ]),
        section("operations", "Operations and airstrikes", "စစ်ဆင်ရေးနှင့် လေကြောင်းတိုက်ခိုက်မှု", [
            q("took_part", "yes_no", "Took part in operations", "စစ်ဆင်ရေးများတွင် ပါဝင်ခဲ့သလား", required=True, tags=INTEL),
            q("operations_detail", "long_text", "Operations (where, when, who)", "စစ်ဆင်ရေးများ (ဘယ်မှာ၊ ဘယ်အချိန်၊ ဘယ်သူ)", tags=INTEL, relevant={"key": "took_part", **IF_YES}),
            q("airstrikes_known", "yes_no", "Knows of planned airstrikes", "စီစဉ်ထားသော လေကြောင်းတိုက်ခိုက်မှုကို သိသလား", tags=INTEL),
            q("airstrikes", "long_text", "Planned airstrikes", "စီစဉ်ထားသော လေကြောင်းတိုက်ခိုက်မှုများ", tags=INTEL, relevant={"key": "airstrikes_known", **IF_YES}),
        ]),
        section("weapons", "Weapons and logistics", "လက်နက်နှင့် ထောက်ပံ့ပို့ဆောင်ရေး", [
            q("weapons_held", "select_multiple", "Weapons in the unit", "တပ်ရင်းရှိ လက်နက်များ", tags=INTEL, choices=[
                choice("small_arms", "Small arms", "လက်နက်ငယ်"), choice("mortars", "Mortars", "စိန်ပြောင်း"),
                choice("artillery", "Artillery", "အမြောက်"), choice("drones", "Drones", "ဒရုန်း"),
                choice("armour", "Armoured vehicles", "သံချပ်ကာယာဉ်"),
            ]),
            q("supply_routes", "long_text", "Supply routes", "ထောက်ပံ့ရေး လမ်းကြောင်းများ", tags=INTEL),
        ]),
        section("morale", "Morale and defection intentions in the unit", "တပ်တွင်း စိတ်ဓာတ်နှင့် တပ်ခွဲထွက်လိုမှု", [
            q("morale_level", "select_one", "Morale in the unit", "တပ်တွင်း စိတ်ဓာတ်", tags=INTEL, choices=[
                choice("high", "High", "မြင့်"), choice("mixed", "Mixed", "ရောနှော"), choice("low", "Low", "နိမ့်"),
            ]),
            q("others_willing", "integer", "Others who would defect (estimate)", "ခွဲထွက်လိုသူ အခြားသူများ (ခန့်မှန်း)", tags=INTEL, min=0, max=10000),
        ]),
        section("violations", "Human-rights violations witnessed", "မျက်မြင်တွေ့ခဲ့သော လူ့အခွင့်အရေး ချိုးဖောက်မှုများ", [
            q("witnessed", "yes_no", "Witnessed violations", "ချိုးဖောက်မှု မြင်တွေ့ခဲ့သလား", required=True, tags=RIGHTS),
            q("incidents", "repeat", "Incident", "ဖြစ်ရပ်", tags=RIGHTS, relevant={"key": "witnessed", **IF_YES}, questions=[
                q("incident_date", "date", "Date", "ရက်စွဲ", required=True, tags=RIGHTS),
                q("incident_region", "region", "State or region", "ပြည်နယ်/တိုင်း", tags=RIGHTS),
                q("incident_township", "text", "Township", "မြို့နယ်", tags=RIGHTS),
                q("incident_account", "long_text", "What happened", "ဘာဖြစ်ခဲ့သလဲ", required=True, tags=RIGHTS),
                q("incident_victims", "integer", "Number of victims", "သားကောင် အရေအတွက်", tags=RIGHTS, min=0, max=100000),
            ]),
        ]),
        section("wellbeing", "Wellbeing check", "ကျန်းမာချမ်းသာမှု စစ်ဆေးခြင်း", [
            q("feeling", "select_one", "How are you feeling after this interview?", "ဒီမေးမြန်းမှုအပြီး ဘယ်လိုခံစားရသလဲ", required=True, tags=WELL, choices=[
                choice("fine", "Fine", "ကောင်းပါတယ်"), choice("tired", "Tired", "ပင်ပန်းတယ်"),
                choice("distressed", "Distressed", "စိတ်ဒုက္ခရောက်နေတယ်"),
            ]),
            q("wants_support", "yes_no", "Would like to talk to someone for support", "အကူအညီအတွက် တစ်စုံတစ်ယောက်နှင့် စကားပြောလိုသလား", tags=WELL),
        ]),
    ],
}  # fmt: skip
