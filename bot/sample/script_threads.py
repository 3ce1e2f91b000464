"""The week in the threads and #recipes forum posts (syntax: ``bot/sample/builder.py``)."""

BOOK = """
-- Thread started from Priya's #book message in #general
d1 09:21 priya #pace | Proposal: one chunk a week. The book has two stories, "Kitchen" and
  + "Full Moon"; let's do "Kitchen" first and chat here as we go
  * 👍 aiko maya lucas noor
d1 12:10 maya >pace | I'm in! English translation for me, but I'll try a page of the original
  + with Aiko's help 😅
d1 21:05 lucas #firstline | day 1 of reading キッチン in Japanese: the first sentence took me
  + ten minutes. it's about her favourite place in the world being the kitchen, which, same
d1 21:20 aiko >firstline | 最初の一文、有名ですよね。ゆっくりで大丈夫！
d2 20:30 priya #mikage | Question for the Japanese readers: the narrator is Mikage. Does みかげ
  + mean anything, or is it just a name?
d2 20:48 kenji #granite >mikage | 「御影」と書けば御影石、つまり granite のことです。
  + 小説ではひらがななので意味ははっきりしないけど、きれいな響きですね。
  * 🤯 priya lucas
d2 20:55 priya >granite | Granite! That's a lovely detail, thank you Kenji
d2 21:02 maya >granite | 御影石, love that. Straight onto my vocab list
d3 22:05 maya #fridge | Finished the first part. The bit where she sleeps next to the fridge
  + because the hum is comforting... I felt that
  * ❤️ priya aiko noor
d3 22:15 aiko >fridge | わかる。冷蔵庫の音って、なんか落ち着きますよね。
d4 08:40 lucas | update: page 9. the dictionary and I are close friends now
  * 😂 maya tom
  * 💪 aiko
d4 21:00 priya | I'm curious whether the funny bits survive in English: has anyone compared
  + the translation with the original yet?
"""

POTLUCK = """
-- Thread started from Maya's #potluck message in #general; a role mention, who brings what
d1 18:03 maya #bring | <@&cooks> who's bringing what? I'm doing okonomiyaki (recipe in the
  + forum). Please say if your dish has meat or fish so we can label things for Priya
  * 👍 kenji aiko tom
d1 18:10 priya >bring | Vegetable gyoza! About 40 of them
  * 🥟 maya tom
d1 18:16 kenji >bring | 豚の角煮を作ります（肉です）。
  * 😋 maya tom
d1 18:20 tom >bring ~1 | bread. optimistic bread.
  * 😂 maya priya aiko
d1 18:32 aiko >bring | デザートは任せてください！抹茶のチーズケーキを作ります。
  * ❤️ maya priya noor
d1 18:40 maya #pan | <@noor> could you bring your takoyaki pan? I'll make the batter if you
  + bring the pan 🐙
d1 20:15 noor #yes >pan | yes! I'll bring the pan and some octopus
  * 🎉 maya
  * 🐙 tom
d1 20:20 maya >yes | Legend 🙌
d2 09:30 lucas #drinks | sorry, late to this! I can bring drinks. Is ramune still a thing or
  + is that just me?
d2 09:38 aiko #ramune >drinks | ラムネ大好き！ぜひ持ってきてください笑
d2 09:45 lucas >ramune | ラムネ了解です 🫡
d2 13:00 priya #allergy | Allergy check: is anyone besides me avoiding anything? I'll keep the
  + gyoza egg-free just in case
d2 13:20 kenji >allergy | 僕は特にないです。
d2 13:25 tom >allergy | nope, I eat everything, as the bread situation proves
d2 13:31 maya >allergy | None here! Kenji's 角煮 is getting its own label: MEAT (worth it)
  * 😂 kenji priya
d3 18:00 maya #headcount | Headcount is 8 now that Sam's here! <@sam> you're very welcome to
  + just bring yourself
d3 18:20 sam >headcount | I'll bring dal, it's the one thing I'm actually good at 😅
  * 😋 priya maya
d4 20:00 maya #timeline pin ~30 | Plan for tomorrow:
  | 6:30 doors open if anyone wants to help set up
  | 7:00 food
  | 8:00 takoyaki with Noor's pan
  | 9:00 Aiko's cheesecake
  * 👍 noor priya tom aiko kenji
d4 20:12 priya >timeline | I'll come at 6:30 to help set up 🙋
d4 20:20 kenji >timeline | 角煮はもう仕込んであります。明日は温めるだけ。
  * 🔥 maya
"""

OKONOMIYAKI = """
-- Forum post in #recipes by Maya
d0 19:00 maya #okono | Test run before {d5}. Osaka style, serves 2:
  | - 100g okonomiyaki flour + 120ml dashi
  | - 1 egg
  | - a quarter of a cabbage, finely shredded
  | - 3 strips of pork belly on top
  | Cook about 5 min per side. Sauce, Kewpie, aonori, katsuobushi.
  * 😋 tom priya kenji
d0 19:25 tom #fine >okono | how fine is "finely"? my knife skills are best described as rustic
d0 19:31 maya >fine | Matchstick-ish! Honestly a food processor is fine
d0 20:02 priya #veggie >okono | Could I make a veggie one with the same batter? Is the dashi the
  + only fishy part?
d0 20:15 aiko #kombu >veggie | だしを昆布だしにすればベジタリアンでも大丈夫！
  + かつお節の代わりに、天かすと紅しょうがを多めにどうぞ。
  * 🙏 priya
d0 20:18 priya >kombu | Kombu dashi and extra tenkasu, got it. ありがとう！
d0 20:25 maya >kombu | Ooh, then I'll make one veggie okonomiyaki for everyone to share
  * ❤️ priya
d1 08:00 kenji >okono | 蓋をして蒸し焼きにすると、中までふわっと焼けますよ。
  * 🙏 maya
d2 21:10 maya #testrun | Test run ✅ Flipped it without a disaster, and Kenji's lid trick
  + really works
  * 🎉 tom kenji
d2 21:15 kenji >testrun | いい焼き色！
d4 19:00 maya #size | Last question before tomorrow: one big one or lots of small ones for
  + 8 people?
d4 19:12 aiko #small >size | 小さいのをたくさん！みんなで好きなトッピングにできるから。
d4 19:15 maya >small | Small ones it is 🙌
"""

MISO = """
-- Forum post in #recipes by Kenji, wholly in Japanese
d2 22:30 kenji #shikomi ~12 | 今年も味噌を仕込みます！材料は大豆1kg、米麹1kg、塩450g。
  + まずは大豆を一晩水に浸けておきます。
  * 👀 lucas
  * 🔥 aiko
d2 22:45 aiko >shikomi | すごい！去年のお味噌、まだ覚えてます。本当に美味しかった。
d3 08:10 kenji #soak | 浸水完了。大豆が倍以上に膨らみました。
d3 08:30 lucas #boil >soak | 質問です。大豆はどのくらい煮ますか？圧力鍋を使ってもいいですか？
d3 09:02 kenji #finger >boil | 普通の鍋なら3〜4時間、圧力鍋なら20分くらい。
  + 指で簡単につぶれるくらいが目安です。
  * 🙏 lucas
d3 09:10 lucas >finger | なるほど！「指でつぶれるくらい」、覚えておきます。
d3 21:40 kenji #packed | つぶして、麹と塩を混ぜて、容器に詰めました。あとは10ヶ月待つだけ。
  * 🎉 aiko maya lucas
d3 21:50 maya #wait >packed | すごい！10ヶ月…私は待てないかも笑
  * 😂 kenji aiko
d3 21:58 aiko >wait | 待つのも料理のうちですよ笑
d4 12:00 kenji | <@maya> 来月もう一回仕込む予定です。二人分まとめて頼むと送料が安くなるので、
  + 麹を一緒に注文しませんか？
"""

STARTER = """
-- Forum post in #recipes by Tom; quiet Noor is asked for advice and answers
d3 08:00 tom #kevin | Day 1. 50g flour, 50g water, one hopeful man. His name is Kevin.
  * 😂 maya priya lucas noor
d3 08:05 maya >kevin | Kevin!! We're all rooting for him
d3 08:20 priya #tips >kevin | <@noor> didn't you keep a starter alive for about two years? Any
  + tips for Tom before Kevin meets the same fate?
d3 12:40 noor #gerald >tips | feed it the same weight of flour and water every day, keep it
  + somewhere warm, and don't panic about the smell. mine is called Gerald
  * 🙏 tom
  * ❤️ priya
d3 12:52 tom >gerald | Kevin and Gerald. they'll be friends. thank you Noor!
  * 😂 noor
d4 08:05 tom #bubbles | Day 2: bubbles!! small ones, but bubbles
  * 🎉 priya noor
d4 08:30 lucas #yoghurt >bubbles | is it supposed to smell like yoghurt? (asking for Kevin)
d4 08:44 tom >yoghurt | slightly yoghurty, slightly sad. Priya says that's normal
d4 18:10 tom #doubled | Day 2, evening: Noor dropped off a spoonful of Gerald this morning and
  + now it has doubled in six hours. Is that cheating?
  * 😂 priya maya
  * ❤️ noor
d4 18:25 priya >doubled | Not cheating, that's how starters have always been passed around.
  + Bake tomorrow!
  * 🙌 tom
d5 10:40 tom | Loaf is out of the oven. It sounds hollow when you knock on it, which
  + apparently means it's done
  * 🎉 noor priya
"""
