"""The week in the two text channels, #general and #study (syntax: ``bot/sample/builder.py``)."""

GENERAL = """
-- Day 0: the week starts; a cooking-chat side conversation at lunch and in the evening
d0 09:05 maya #week pin ~4 | Morning all ☀️ Two things this week: potluck at mine on {d5}
  + evening, and Aiko is running the 勉強会 on {d3}. Details to follow!
  * 🎉 aiko tom priya noor lucas
  * 👍 kenji
d0 09:12 tom #rise >week | potluck!! does it still count if I bring bread that didn't rise?
  * 😂 maya priya
d0 09:15 maya >rise | It counts if you bring good butter with it 😂
d0 09:40 aiko >week noping | 楽しみ！勉強会のテーマは後で<#study>に書きますね。
  * 👍 maya
d0 12:30 lucas #tamago | lunch report: tried tamagoyaki in a round pan. it is now tamago-scramble
  * 😂 tom aiko maya
d0 12:34 kenji #weak >tamago | 丸いフライパンでも、端を折りたためば大丈夫。
  + 弱火でゆっくり焼いてください。
  * 🙏 lucas
d0 12:41 lucas >weak | 弱火… I was definitely on 強火. ありがとうございます！
d0 18:30 priya #tofu | Made mapo tofu with the Sichuan pepper Kenji recommended and my mouth
  + is still tingling. 10/10
  * 🔥 kenji maya
d0 18:42 kenji #kasho >tofu | 花椒、いいでしょう？次は山椒も試してみてください。
d0 18:55 priya #sansho >kasho | Is 山椒 the Japanese cousin? What's the difference?
d0 19:05 kenji >sansho | 同じ仲間だけど、山椒の方が爽やかで柑橘っぽい香りです。
  + 鰻にかけるやつ！
  * 🙏 priya

-- Day 1: Priya proposes a book (thread), a ramen shop in Japanese, Maya starts the potluck thread
d1 08:50 priya #book | Book club idea: Yoshimoto Banana's キッチン (Kitchen)? It's short, there's
  + a good translation, and it is literally about kitchens.
  * ❤️ maya aiko noor
  * 👍 lucas
d1 08:58 aiko >book | 大賛成！原作は短いので、日本語で読む練習にもちょうどいいと思います。
d1 09:03 lucas >book | I'll try the Japanese original with a dictionary. pray for me 🙏
  * 😂 priya
d1 09:20 priya !thread book
d1 13:00 aiko #ramen | 駅前に新しいラーメン屋さんができたらしい。誰か行った？
d1 13:15 kenji #tonkotsu >ramen | 昨日行きました。豚骨で、かなり濃いです。替え玉無料！
  * 🍜 aiko lucas tom
d1 13:18 tom #understood >tonkotsu | I understood 豚骨 and 無料 and honestly that's all I need
  * 😂 aiko kenji maya
d1 13:22 aiko >understood | 完璧な理解です笑
d1 18:00 maya #potluck | Potluck plan: my place, {d5} from 7pm. Making a thread for who's
  + bringing what 👇
  * 🎉 tom priya kenji noor aiko
d1 18:02 maya !thread potluck

-- Day 2: a video tip in the morning; in the evening two topics at once (a dead sourdough
-- starter and JLPT registration), told apart by a quiet spell and by their reply links
d2 08:05 aiko #video | 最近、料理の動画を日本語字幕付きで見ています。聞き取りの練習にちょうどいい！
  * 👀 lucas priya
d2 08:20 lucas #subs >video | which channel? I need subtitles to survive
d2 08:31 aiko >subs | あとでリンクを送りますね！速さも調整できるのでおすすめです。
  * 🙏 lucas
d2 19:02 tom #dead | Update: starter #2 has died. It smelled like nail polish remover and then
  + it smelled like nothing
  * 😂 maya lucas
  * 😭 aiko
d2 19:04 priya #hungry >dead | Nail polish smell means it's hungry, not dead! Please tell me you
  + didn't throw it out?
d2 19:06 tom #oops >hungry | ...I may have thrown it out
d2 19:17 lucas #jlpt | unrelated, but has anyone registered for the next JLPT yet? when does
  + registration close?
d2 19:18 maya #tomtom >oops | Tom. TOM. 😂
d2 19:19 priya #closes >jlpt | The British Council page says end of next week. I'm signing up for
  + N4 tonight
d2 19:21 lucas #n3 >closes | ok good, N3 for me. slightly terrified
  * 💪 priya aiko
d2 19:22 tom >tomtom | in my defence it looked very sad. starter #3 begins tomorrow and I'm
  + making a forum post so you can all watch it live or die
  * 🍞 priya noor
d2 19:25 aiko #pastpapers >n3 | N3がんばって！過去問、貸しましょうか？
d2 19:27 lucas #borrow >pastpapers | 本当ですか？ポットラックの時に受け取ってもいいですか？
d2 19:29 aiko >borrow | もちろん！持っていきます。
d2 22:40 kenji | <#recipes>に味噌の仕込み記録を始めました。日本語だけど、写真は多めにします。
  * 👀 lucas maya

-- Day 3: Sam joins and is welcomed; their question goes unanswered, then a miso conversation
d3 10:02 sam !join
d3 10:05 maya #welcome | <@sam> welcome!! Everyone, this is Sam from my work. Starting Japanese
  + from zero, and makes a mean dal.
  * 👋 aiko tom priya noor
d3 10:09 sam #hi | hi all 👋 thanks Maya! total beginner, I know ありがとう and that's about it
d3 10:12 aiko >hi | ようこそ、Samさん！Welcome 😊
d3 10:15 tom >hi | welcome! fair warning, half of this server is about bread I failed to make
  * 😂 sam
d3 10:21 sam | haha noted. Is there a list of beginner resources somewhere, or does everyone
  + just start with Genki?
d3 10:34 kenji #shiromiso | 今朝ジャパンセンターで白味噌が安かったので、
  + ポットラック用に一つ買いました。
d3 10:36 maya #sweet >shiromiso | ナイス！白味噌 is the sweet one, right? Could be great in the
  + okonomiyaki sauce
d3 10:40 kenji >sweet | そう、甘めのやつです。ソースに少し混ぜるとコクが出ますよ。
  * 😋 maya tom

-- Day 4: the kanji challenge, and a shopping run for the potluck
d4 12:30 lucas #challenge | is anyone else still doing Maya's 30-day kanji challenge? day 18
  + here, I've started dreaming in radicals
d4 12:41 maya #day11 >challenge | Day 11 🥲 fell off during the work trip but I'm back on it
d4 12:44 lucas >day11 | day 11 is respectable! we finish together
  * 🙌 maya
d4 17:30 priya #shop | Going to the Asian supermarket after work for potluck things. Does
  + anyone need anything?
d4 17:36 maya >shop | Yes please! A bag of okonomiyaki flour, and aonori if they have it 🙏
d4 17:38 maya >shop | Oh, and tofu if it's on offer. Thank you!!
d4 17:40 aiko #benishoga >shop | 紅しょうがもお願いできますか？
d4 17:52 priya >benishoga | Beni shoga, on the list 👍
  * 🙏 aiko

-- Day 5: Tom's bread finally rises; after the potluck, thank-yous
d5 11:00 tom #bread | Starter #3 update: the loaf is BAKED. Real bread. With holes in it.
  + Bringing it tonight 🍞
  * 🎉 maya priya noor aiko kenji
  * 🍞 lucas
d5 11:05 priya >bread | TOM 🎉 told you it was just hungry
d5 22:10 maya #thanks | Thank you all for tonight ❤️ Six dishes, two languages, one slightly
  + burnt takoyaki pan. Same again next month?
  * ❤️ aiko tom priya kenji noor lucas sam
d5 22:14 kenji >thanks | ぜひ！次は鍋にしましょう。
  * 🍲 maya aiko
d5 22:20 noor #mess >thanks | thank you for having us 🙏 the takoyaki were a mess but a good mess
  * ❤️ maya
d5 22:23 tom >mess | the best mess. Noor's takoyaki > my bread, and my bread was GOOD
  * 😂 noor maya
d5 22:26 aiko >thanks | みなさん、ありがとうございました！チーズケーキが全部なくなって嬉しいです。
d5 22:31 maya >mess | Your pan is still on my counter btw, I'll drop it off on my way to work
d5 22:35 sam #fun >thanks | that was so fun, thanks for having me! 楽しかったです (did I get that
  + right?)
d5 22:40 aiko >fun | 完璧です！
  * 🎉 sam
d5 22:44 priya | Gyoza count: 40 made, 0 left. I consider this a success
  * 😂 tom maya kenji
"""

STUDY = """
-- Day 0: Aiko announces the study session (勉強会) on cooking verbs; kanji of the day
d0 10:00 aiko #session pin | 今週の勉強会は{d3:ja}の20時からです！テーマは料理の動詞：
  + 煮る・焼く・蒸す・揚げる・炒める。予習しておいてね。
  * 👍 maya priya lucas noor
d0 10:20 maya >session | Perfect timing, I'm making okonomiyaki for the potluck so 焼く is my
  + whole week 😂
d0 10:35 priya #stirfry >session | Is 炒める the stir-fry one? I always mix it up with 揚げる
d0 10:41 aiko >stirfry | そう！炒める = stir-fry (油は少し)、揚げる = deep-fry (油たっぷり)。
  + 唐揚げの「揚げ」です！
  * 🙏 priya
d0 21:00 lucas #steam | Kanji of the day: 蒸 (む・す, to steam). The top is 艹 (grass), which
  + makes sense if you think of steamed greens
  * 🔥 aiko
d0 21:10 kenji #chawan >steam | 茶碗蒸しの「蒸」ですね。
d0 21:14 lucas >chawan | 茶碗蒸し = chawanmushi! so THAT's where the name comes from 🤯

-- Day 1: a sentence correction, and が vs は
d1 08:30 maya #ichibun | 今日の一文：昨日、友達と一緒に餃子を作りました。Corrections welcome!
  * 👍 aiko
d1 08:44 aiko #perfect >ichibun | 完璧！「友達と」だけでも自然ですよ。
  + 「一緒に」はあってもなくてもOK。
d1 08:50 maya >perfect | ありがとう！I'll keep 一緒に, I like how it sounds
d1 19:30 priya #ga ~2 | Quick grammar one: why is it 私が作ります and not 私は作ります when
  + someone asks "who's cooking?"
d1 19:44 aiko #answer >ga | 「誰が作りますか？」の答えは「私が作ります」。
  + 質問の答えになる新しい情報には「が」を使います。
  * 🙏 priya
  * 💯 kenji
d1 19:47 priya >answer | Ohh, so が marks the answer to "who". That actually clicks, ありがとう！
d1 19:50 maya >answer | Saving this. I've been saying 私は for two years 🥲
  * 😂 aiko

-- Day 2: 焼く vs 作る, a reading for the session, and the fire radical
d2 08:15 maya #yaku | 今日の一文：週末にお好み焼きを焼いてみます。Should it be 焼いてみます
  + or 作ってみます?
d2 08:40 kenji #both >yaku | どちらも自然です。「焼く」の方が料理している感じが出ますね。
d2 08:52 maya >both | 焼く it is then 🔥
d2 12:15 lucas #nhk | Reading practice: found an NHK Easy article about school lunches
  + (給食). Shall we read it together at the 勉強会?
  * 👍 priya maya
d2 12:30 aiko >nhk | いいですね！じゃあ勉強会の後半で読みましょう。
d2 21:00 lucas #fire | Kanji of the day: 煮 (に・る, to simmer). The four dots at the bottom
  + are fire. 焼 has 火 on the left too. fire everywhere this week 🔥
  * 🔥 maya aiko
d2 21:06 priya #dots >fire | wait, so 灬 and 火 are the same thing?
d2 21:15 aiko >dots | そう！漢字の下につくと「灬（れっか）」という形になります。
  * 🤯 priya lucas

-- Day 3: the session itself; Maya's notes
d3 19:55 aiko | あと5分で始めます！リンクはいつものところです。
  * 👍 maya priya lucas noor
d3 21:30 maya #notes | Thank you Aiko! Notes from tonight:
  | 煮る (にる) simmer: 煮物
  | 焼く (やく) grill/bake: 焼き鳥, お好み焼き
  | 蒸す (むす) steam: 茶碗蒸し
  | 揚げる (あげる) deep-fry: 唐揚げ
  | 炒める (いためる) stir-fry: 野菜炒め
  * 🙏 aiko lucas priya noor
  * ✨ sam
d3 21:36 priya #nextweek >notes | Amazing, thanks Maya. Did we decide who picks the article for
  + next week?
d3 21:40 aiko >nextweek | まだ決めてないです。明日みんなに聞いてみますね。
d3 21:52 lucas | 勉強会、ありがとうございました！揚げると炒めるの違いがやっと分かりました。
  * ❤️ aiko

-- Day 4: Aiko's open question, a beginner te-form question, a question for quiet Noor
d4 09:10 aiko | 来週の読解用の記事、NHK Easyでもレシピでも何でもいいので、
  + 誰か選んでくれる人いますか？
d4 10:30 tom #te | beginner question: why is it 焼いて and not 焼きて? my app just says
  + "irregular vibes"
d4 10:41 lucas #kuite >te | く verbs turn into いて: 焼く→焼いて, 書く→書いて. The one exception
  + is 行く→行って. There's a te-form song to the tune of Clementine, it genuinely helps
  * 😂 tom
d4 10:45 tom >kuite | the clementine song. of course there is. thank you!
d4 10:50 maya >kuite | I still hum that song every time I conjugate anything 😂
d4 13:20 lucas ~5 | <@noor> you did N3 last year, right? Did you use Shin Kanzen Master for
  + the listening section, or something else?

-- Day 5: たこパ, and Priya's gyoza sentence
d5 09:00 maya #tonight | 今日の一文：今夜、みんなでたこ焼きを作ります！
  * 🐙 noor tom
  * ❤️ aiko
d5 09:10 aiko #takopa >tonight | いいね！「たこ焼きパーティー」は略して「たこパ」とも言いますよ。
d5 09:15 maya >takopa | たこパ!! going straight into my flashcards
d5 14:00 priya #tsutsumu | 今日の一文：ポットラックのために、餃子を四十個包みました。Is 包む the
  + right verb for wrapping gyoza?
d5 14:12 aiko >tsutsumu | 完璧です！餃子は「包む」で合ってます。
  * 🙏 priya
"""
